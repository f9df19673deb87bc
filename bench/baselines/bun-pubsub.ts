// The bare Bun.serve pub/sub baseline: what a user would write in ~40 lines, nothing more.
// WS /ws subscribes; {"kind":"publish","event"|"events"} frames and POST /api/events are parsed and published.
const port = Number(process.argv[2] ?? 0);
let seq = 0;

type Ev = { type: string; data?: unknown };
// --envelope: stream-server's bytes with none of its code, to tell the one from the other: frames with its
// other fields too (id, source, time), and a POST answered as it answers (each item's seq and id, CORS header).
const envelope = process.argv.includes("--envelope");
type Sent = { seq: number; id?: string };
const frameOf = (e: Ev, sent: Sent[] | undefined) => {
  if (!envelope) return JSON.stringify({ kind: "event", seq: ++seq, type: e.type, data: e.data });
  const item = { seq: ++seq, id: crypto.randomUUID() };
  sent?.push(item);
  return JSON.stringify({ kind: "event", seq: item.seq, id: item.id, type: e.type, source: "api", time: new Date().toISOString(), data: e.data });
};
const ANSWER_HEADERS = { "access-control-allow-origin": "*" };

// --deflate shared|3KB|…|dedicated: permessage-deflate with that compressor (Bun's WebSocketCompressor), to measure Bun's modes.
const deflate = process.argv[process.argv.indexOf("--deflate") + 1];
const perMessageDeflate = process.argv.includes("--deflate") ? ({ compress: deflate, decompress: "shared" } as const) : false;

const server = Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(req, srv) {
    const url = new URL(req.url);
    if (url.pathname === "/ws") return srv.upgrade(req) ? undefined : new Response("upgrade failed", { status: 400 });
    if (url.pathname === "/api/events" && req.method === "POST") {
      const body = JSON.parse(await req.text()) as Ev | Ev[];
      const events = Array.isArray(body) ? body : [body];
      const sent: Sent[] | undefined = envelope ? [] : undefined;
      for (const e of events) srv.publish("events", frameOf(e, sent));
      return envelope ? Response.json({ accepted: events.length, items: sent }, { headers: ANSWER_HEADERS }) : Response.json({ accepted: events.length });
    }
    return new Response("not found", { status: 404 });
  },
  websocket: {
    perMessageDeflate: perMessageDeflate as Bun.WebSocketHandler<undefined>["perMessageDeflate"],
    open(ws) {
      ws.subscribe("events");
      ws.send('{"kind":"hello"}');
    },
    message(_ws, message) {
      const m = JSON.parse(String(message));
      if (m.kind !== "publish") return;
      for (const e of m.events ?? [m.event]) server.publish("events", frameOf(e, undefined));
    },
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);
