// The Node + ws baseline: an http server and a ws broadcast loop, as commonly written.
// WS /ws subscribes; {"kind":"publish","event"|"events"} frames and POST /api/events are parsed and broadcast.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 0);
let seq = 0;
const frameOf = (e) => JSON.stringify({ kind: "event", seq: ++seq, type: e.type, data: e.data });

const wss = new WebSocketServer({ noServer: true });
function broadcast(frame) {
  for (const client of wss.clients) if (client.readyState === 1) client.send(frame);
}

const server = createServer((req, res) => {
  if (req.url !== "/api/events" || req.method !== "POST") {
    res.writeHead(404).end("not found");
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    const events = Array.isArray(body) ? body : [body];
    for (const e of events) broadcast(frameOf(e));
    const out = JSON.stringify({ accepted: events.length });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) }).end(out);
  });
});

server.on("upgrade", (req, socket, head) => {
  if (req.url !== "/ws") return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send('{"kind":"hello"}');
    ws.on("message", (data) => {
      const m = JSON.parse(data.toString());
      if (m.kind !== "publish") return;
      for (const e of m.events ?? [m.event]) broadcast(frameOf(e));
    });
  });
});

server.listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
