/** The paced publisher's thread (see `paced-publisher.ts`): sends `{"kind":"publish"}` frames on schedule. */
import { adoptClockOffset, sharedMicros, sharedNow } from "./clock.ts";
import { quantile } from "./latency-recorder.ts";
import { eventsIn, type PacedCommand, type PacedReply } from "./paced-publisher.ts";
import { eventJson } from "./publisher.ts";
import { clientFrame, openRawWs, type RawWs } from "./raw-ws.ts";

declare const self: Worker;

let ws: RawWs | undefined;
let rate = 100;
let next = 0; // the next event's number

const reply = (r: PacedReply) => self.postMessage(r);

/** Sends `count` events, event k at `start + k / rate`; an event whose time has passed goes at once. */
async function run(ms: number) {
  const count = eventsIn(ms, rate);
  const late: number[] = [];
  const start = sharedNow();
  for (let k = 0; k < count; k++) {
    const due = start + (k * 1000) / rate;
    for (let wait = due - sharedNow(); wait > 0; wait = due - sharedNow()) await Bun.sleep(wait);
    const sentUs = sharedMicros();
    ws!.send(clientFrame(`{"kind":"publish","event":${eventJson(next++, "", sentUs)}}`));
    late.push(sentUs / 1000 - due);
  }
  return quantile(late.sort((a, b) => a - b), 0.99);
}

self.onmessage = async (e: MessageEvent<PacedCommand>) => {
  const c = e.data;
  try {
    if (c.kind === "clock") reply({ kind: "clock", now: performance.now() });
    else if (c.kind === "adopt-clock") {
      adoptClockOffset(c.offsetMs);
      reply({ kind: "adopted" });
    } else if (c.kind === "open") {
      rate = c.rate;
      ws = await openRawWs({ host: c.host, port: c.port, path: c.path, onFrame() {} });
      reply({ kind: "opened" });
    } else {
      const lateP99Ms = await run(c.ms);
      reply({ kind: "ran", sent: next, lateP99Ms });
    }
  } catch (err) {
    reply({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
  }
};
