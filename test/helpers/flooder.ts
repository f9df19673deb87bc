/**
 * A hostile WebSocket client as a script: `bun test/helpers/flooder.ts PORT CLIENTS SECONDS [ping|junk]`.
 * Each client upgrades on /ws, then writes tiny masked text frames (a 1-byte invalid frame, or a valid
 * `{"kind":"ping"}`) as fast as the kernel takes them and never reads a byte of what comes back. It runs in
 * its own process so that its work is not the server's; it prints one JSON line, `{"sent": frames}`
 * (frames handed to the socket), and exits once SECONDS have passed.
 */
import type { Socket } from "bun";

const [port, clients, seconds, kind = "junk"] = [Number(Bun.argv[2]), Number(Bun.argv[3]), Number(Bun.argv[4]), Bun.argv[5]];
const payload = Buffer.from(kind === "ping" ? '{"kind":"ping"}' : "x");
const MASK = [0x12, 0x34, 0x56, 0x78];

/** `count` copies of one masked text frame, written in one go. */
function frames(count: number): Buffer {
  const one = Buffer.alloc(6 + payload.length);
  one[0] = 0x81;
  one[1] = 0x80 | payload.length;
  MASK.forEach((m, i) => (one[2 + i] = m));
  for (let i = 0; i < payload.length; i++) one[6 + i] = payload[i]! ^ MASK[i & 3]!;
  return Buffer.concat(Array.from({ length: count }, () => one));
}

const chunk = frames(4096);
const frameBytes = chunk.length / 4096;
const deadline = performance.now() + seconds * 1000;
let sent = 0;

function flood(): Promise<void> {
  return new Promise((resolve) => {
    let upgraded = false;
    let ended = false;
    let pending: Buffer | undefined;
    const pump = (s: Socket) => {
      // A few chunks a turn, then yield: the other clients and this one's close callback get their turn.
      for (let i = 0; i < 16 && !ended; i++) {
        if (performance.now() >= deadline) return void s.end();
        const out = pending ?? chunk;
        const wrote = s.write(out);
        if (wrote > 0) sent += Math.floor(wrote / frameBytes);
        if (wrote < out.length) {
          pending = out.subarray(Math.max(0, wrote)); // the kernel is full: wait for drain
          return;
        }
        pending = undefined;
      }
      if (!ended) setImmediate(() => pump(s));
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
        },
        data(s) {
          if (upgraded) return;
          upgraded = true; // the 101 (and the hello): from here on nothing is read
          s.pause();
          pump(s);
        },
        drain(s) {
          if (upgraded) pump(s);
        },
        close() {
          ended = true;
          resolve();
        },
        error() {},
      },
    }).catch((err) => {
      console.error(`flooder: could not connect to port ${port}: ${err}`);
      process.exit(1);
    });
  });
}

// Connections the server cut off never report their end while paused: stop at the deadline, not on closes.
await Promise.race([Promise.all(Array.from({ length: clients }, flood)), Bun.sleep(seconds * 1000)]);
console.log(JSON.stringify({ sent }));
process.exit(0);
