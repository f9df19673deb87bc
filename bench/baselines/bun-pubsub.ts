// The bare Bun.serve pub/sub baseline: what a user would write in ~40 lines, nothing more.
// WS /ws subscribes; {"kind":"publish","event"|"events"} frames and POST /api/events are parsed and published.
const port = Number(process.argv[2] ?? 0);
let seq = 0;

type Ev = { type: string; data?: unknown };
// --envelope: frames with stream-server's other fields too (id, source, time), to tell its bytes from its code.
const envelope = process.argv.includes("--envelope");
const frameOf = (e: Ev) =>
  JSON.stringify(
    envelope
      ? { kind: "event", seq: ++seq, id: crypto.randomUUID(), type: e.type, source: "api", time: new Date().toISOString(), data: e.data }
      : { kind: "event", seq: ++seq, type: e.type, data: e.data },
  );

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
      for (const e of events) srv.publish("events", frameOf(e));
      return Response.json({ accepted: events.length });
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
      for (const e of m.events ?? [m.event]) server.publish("events", frameOf(e));
    },
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);
