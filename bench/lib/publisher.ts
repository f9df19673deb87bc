import { jsonPost, openRawHttp } from "./raw-http.ts";
import { clientFrame, openRawWs } from "./raw-ws.ts";

/**
 * The publishing side of the generator: over one WebSocket (`{"kind":"publish"}` frames) or over
 * keep-alive HTTP connections (`POST /api/events`), numbering events 0, 1, 2… with the counter the
 * subscribers check. A gate decides when the next event may go (bounded window, or fixed rate).
 */

export const EVENT_TYPE = "bench.tick";

/**
 * Event `n` as JSON; its data ends with `"n":N}` so every server's frame ends with `N}}`. With `sentUs`
 * (the send time, see `sharedMicros`) the data ends `"t":MICROS,"n":N}`, for `trailingSendTime`.
 */
export const eventJson = (n: number, pad: string, sentUs?: number) =>
  `{"type":"${EVENT_TYPE}","data":{${pad ? `"pad":"${pad}",` : ""}${sentUs === undefined ? "" : `"t":${sentUs},`}"n":${n}}}`;

/**
 * What the `compression` scenario publishes: an order fill of ~230 bytes as stream-server frames it, and a
 * log line of ~190, both with the fields a trading platform's feed repeats in every item.
 */
export const TICK_FIELDS = '"symbol":"ETH-USD","side":"buy","price":3521.17,"qty":0.25,"strategy":"alpha"';
export const logJson = (n: number) =>
  `{"level":"info","message":"order ${n} filled at 3521.17 for strategy alpha","source":"strategy/alpha","fields":{"orderId":${90000 + n},"n":${n}}}`;

/** Hands out event numbers while there is room, and wakes publishers when room appears. */
export interface Gate {
  /** The first of `count` consecutive event numbers, or undefined when the publisher must wait. */
  take(count: number): number | undefined;
  wait(): Promise<void>;
  /** Wakes every waiting publisher (on an ack, a tick or the end of a run). */
  wake(): void;
  sent(): number;
}

/** Publishers parked until the gate opens again. */
function parking(): Pick<Gate, "wait" | "wake"> {
  let waiters: (() => void)[] = [];
  return {
    wait: () => new Promise<void>((r) => waiters.push(r)),
    wake() {
      const w = waiters;
      waiters = [];
      for (const r of w) r();
    },
  };
}

/** A gate that keeps at most `window` events ahead of what the sentinel has acknowledged. */
export function windowGate(window: number, acked: () => number): Gate {
  let sent = 0;
  return {
    ...parking(),
    take(count) {
      if (sent - acked() >= window) return undefined;
      sent += count;
      return sent - count;
    },
    sent: () => sent,
  };
}

/** A gate that never makes publishers wait (closed loop: each connection sends when its answer came). */
export function openGate(): Gate {
  let sent = 0;
  return {
    take(count) {
      sent += count;
      return sent - count;
    },
    wait: () => Promise.resolve(),
    wake() {},
    sent: () => sent,
  };
}

/** A gate that lets `perSecond` events through, evenly, from the first call to `take` (a steady load; latency uses `PacedPublisher`). */
export function rateGate(perSecond: number): Gate {
  let sent = 0;
  let t0 = 0;
  return {
    ...parking(),
    take(count) {
      const now = performance.now();
      if (t0 === 0) t0 = now;
      if (sent >= ((now - t0) * perSecond) / 1000) return undefined;
      sent += count;
      return sent - count;
    },
    sent: () => sent,
  };
}

export interface PublisherOptions {
  host: string;
  port: number;
  /** WebSocket path for "ws"; ignored for "http". */
  path: string;
  via: "ws" | "http";
  /** HTTP connections (one request in flight each). */
  httpConnections?: number;
  /** Events per WebSocket frame or HTTP request. */
  batch?: number;
  payloadBytes?: number;
  /** Members put at the start of each event's data, instead of padding (e.g. `TICK_FIELDS`). */
  fields?: string;
  /** "logs": publish log lines (`logJson`) with POST /api/logs; only over HTTP (log lines have no publish frame). */
  channel?: "events" | "logs";
  gate: Gate;
}

export interface Publisher {
  /** Publishes for `ms` milliseconds (as the gate allows), then resolves. Can be called again. */
  run(ms: number): Promise<void>;
  /** Requests or frames sent, and non-200 answers (HTTP). */
  stats(): { sends: number; failures: number };
  close(): void;
}

/** Opens the publisher's connections. */
export async function openPublisher(o: PublisherOptions): Promise<Publisher> {
  const pad = "x".repeat(o.payloadBytes ?? 0);
  const batch = o.batch ?? 1;
  const logs = o.channel === "logs";
  if (logs && o.via !== "http") throw new Error("log lines are published over HTTP only (POST /api/logs)");
  const item = logs ? logJson : o.fields ? (n: number) => eventJson(n, "").replace('"data":{', `"data":{${o.fields},`) : (n: number) => eventJson(n, pad);
  let running = false;
  let sends = 0;
  let failures = 0;

  /** The JSON of the next batch (first event number `n`). */
  const nextBody = (n: number) => {
    if (batch === 1) return item(n);
    const events: string[] = [];
    for (let i = 0; i < batch; i++) events.push(item(n + i));
    return `[${events.join(",")}]`;
  };

  let loops: () => Promise<void>[];
  let closeAll: () => void;
  if (o.via === "ws") {
    const ws = await openRawWs({ host: o.host, port: o.port, path: o.path, onFrame() {} });
    loops = () => [(async () => {
      while (running) {
        let n: number | undefined;
        let burst = 0;
        while (running && burst++ < 1000 && (n = o.gate.take(batch)) !== undefined) {
          const body = nextBody(n);
          ws.send(clientFrame(batch === 1 ? `{"kind":"publish","event":${body}}` : `{"kind":"publish","events":${body}}`));
          sends++;
        }
        // Let timers and socket callbacks run between bursts, even when the gate never closes.
        if (running) await (n === undefined ? o.gate.wait() : new Promise((r) => setImmediate(r)));
      }
    })()];
    closeAll = () => ws.close();
  } else {
    const conns = await Promise.all(Array.from({ length: o.httpConnections ?? 8 }, () => openRawHttp(o.host, o.port)));
    loops = () => conns.map(async (conn) => {
      while (running) {
        const n = o.gate.take(batch);
        if (n === undefined) {
          await o.gate.wait();
          continue;
        }
        const status = await conn.request(jsonPost(o.host, o.port, logs ? "/api/logs" : "/api/events", nextBody(n)));
        sends++;
        if (status !== 200) failures++;
      }
    });
    closeAll = () => conns.forEach((c) => c.close());
  }

  return {
    async run(ms) {
      running = true;
      const ticker = setInterval(() => o.gate.wake(), 2); // rate gates, and never stall on a lost wake-up
      const stop = setTimeout(() => {
        running = false;
        o.gate.wake();
      }, ms);
      try {
        await Promise.all(loops());
      } finally {
        clearInterval(ticker);
        clearTimeout(stop);
      }
    },
    stats: () => ({ sends, failures }),
    close: () => closeAll(),
  };
}
