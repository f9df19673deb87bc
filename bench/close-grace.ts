/**
 * A probe of Bun itself, not of stream-server: how long a plain `Bun.serve` keeps a WebSocket whose client
 * stopped reading, with about 8 MB queued for it. Linux only (it watches the connection with `ss`).
 *
 *   bun bench/close-grace.ts close 60   # after ws.close(): when Bun drops the socket and its queue
 *   bun bench/close-grace.ts open 8     # never closed: when Bun's idle timeout cuts it off
 *   bun bench/close-grace.ts close 16 8 # eight rounds instead of five
 *
 * Measured on Bun 1.4.4 (2 cores): `close` → 4 s for --idle-timeout 0–15, 8 s for 16–31, 16 s from 32, each
 * up to 4 s sooner (Bun's timers tick every 4 s and a healthy client keeps them ticking); `open` → the idle
 * timeout after the client last sent anything, up to 4 s sooner. What the kernel already held still
 * reaches the client; what Bun had queued is gone. Used by src/ws/slow-consumers.ts.
 */
export {};

const mode = process.argv[2] === "open" ? "open" : "close";
const idleTimeout = Number(process.argv[3] ?? 60);
const rounds = Number(process.argv[4] ?? 5);
const QUEUED = 8 * 1024 * 1024;
const FRAME = "x".repeat(16 * 1024);

let opened: ((ws: Bun.ServerWebSocket<unknown>) => void) | undefined;
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("WebSocket only", { status: 400 })),
  websocket: { idleTimeout, sendPings: true, backpressureLimit: 4 * QUEUED, open: (ws) => opened?.(ws), message() {} },
});

const port = server.port!;

// A healthy client, as on any real server: it keeps Bun's 4 s timer sweep running, so timeouts land anywhere in a tick.
const healthy = new WebSocket(`ws://127.0.0.1:${port}`);
await new Promise((resolve) => healthy.addEventListener("open", resolve));

/** Whether the server's end of the connection to `clientPort` is still established. */
const established = (clientPort: number) =>
  Bun.spawnSync(["ss", "-tnH", "state", "established", `( sport = :${port} and dport = :${clientPort} )`]).stdout.toString().trim() !== "";

const seconds: number[] = [];
for (let round = 0; round < rounds; round++) {
  await Bun.sleep(Math.random() * 4000); // a different phase against the 4 s tick each round
  const open = new Promise<Bun.ServerWebSocket<unknown>>((resolve) => (opened = resolve));
  const client = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  client.write(
    "GET / HTTP/1.1\r\nHost: probe\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  const stalled = await open;
  client.pause();
  while (stalled.getBufferedAmount() < QUEUED) stalled.send(FRAME);
  const start = performance.now();
  if (mode === "close") stalled.close(1013, "too slow");
  while (established(client.localPort) && performance.now() - start < 1000 * 1000) await Bun.sleep(50); // idle timeouts stop at 960 s
  seconds.push((performance.now() - start) / 1000);
  console.log(`${mode}, --idle-timeout ${idleTimeout}: the server dropped the socket after ${seconds.at(-1)!.toFixed(1)} s`);
  client.end();
}
console.log(`range ${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s over ${rounds} rounds`);
healthy.close();
await server.stop(true);
