import type { Broker, StreamPosition } from "./broker.ts";
import type { Channel } from "./channels.ts";
import type { Entry } from "./envelope.ts";
import type { Fanout } from "./fanout.ts";
import { isEverything, matches, type Filter } from "./filter.ts";
import { mergeResume, planResume, type ResumePlan, type ResumeRequest, type Resumed } from "./resume.ts";
import { timeStart } from "./time-start.ts";

const NOTHING_TO_STOP = () => {};

/** History is read in pages of this many entries, so one replay never asks a broker for everything at once. */
const PAGE = 10_000;

/** What a subscriber asks for: a channel, a filter, and optionally where to resume from (a seq, or a time). */
export interface SubscribeRequest {
  channel: Channel;
  filter: Filter;
  resume?: ResumeRequest;
  /** Replay from the first entry accepted at or after this time (ms since the Unix epoch); unused with `resume`. */
  sinceTime?: number;
}

/** True when the subscriber gets a replay before live frames: a seq resume or a start at a time. */
export function replays(request: Pick<SubscribeRequest, "resume" | "sinceTime">): boolean {
  return request.resume !== undefined || request.sinceTime !== undefined;
}

/** How a subscriber is started. */
export interface Subscriber {
  /**
   * Called once, in the same tick as the final merge, so that nothing can be delivered between the replay
   * and what follows: a WebSocket sends the replay and subscribes to its native topics right here.
   * `position.seq` is the last seq the start covers.
   */
  start(position: StreamPosition, resumed: Resumed | undefined): void;
  /** Live entries after the start, filtered, for JS-side subscribers (SSE); without it, listening ends at the start. */
  live?(entries: Entry[]): void;
  /** Reading history failed; the subscriber was not started. */
  fail(error: unknown): void;
}

/**
 * Starts a subscriber with no gap and no duplicate between replay and live delivery: listen first and buffer,
 * read history, merge. Returns a function that stops it (the client left, possibly mid-replay).
 */
export function subscribe(broker: Broker, fanout: Fanout, { channel, filter, resume, sinceTime }: SubscribeRequest, subscriber: Subscriber): () => void {
  const now = broker.position(channel);
  const replaying = replays({ resume, sinceTime });
  if (!replaying && !subscriber.live && now.epoch !== "") {
    // The common case (a WebSocket that does not resume, the position known): nothing to buffer, forward or
    // wait for, so nothing is kept per connection — thousands of idle clients each hold no closures here.
    subscriber.start({ epoch: now.epoch, seq: fanout.delivered(channel) ?? now.seq }, undefined);
    return NOTHING_TO_STOP;
  }
  let stopped = false;
  const buffer: Entry[] = [];
  let forward: ((entries: Entry[]) => void) | undefined;
  const unlisten = fanout.listen(channel, (entries) => {
    if (forward) forward(entries);
    else for (const entry of entries) buffer.push(entry);
  });
  const stop = () => {
    stopped = true;
    unlisten();
  };
  const goLive = () => {
    const live = subscriber.live?.bind(subscriber);
    if (!live) return unlisten();
    const all = isEverything(filter);
    forward = (entries) => {
      const kept = all ? entries : entries.filter((e) => matches(filter, e));
      if (kept.length > 0) live(kept);
    };
  };

  const begin = () => {
    const start = { ...broker.position(channel) }; // a snapshot: some brokers hand out their live position object
    if (!replaying) {
      subscriber.start({ epoch: start.epoch, seq: fanout.delivered(channel) ?? start.seq }, undefined);
      goLive();
      return;
    }

    void (async () => {
      const { position, plan } = resume ? await planSeq(broker, fanout, channel, resume, start) : await planTime(broker, channel, sinceTime!, start);
      if (stopped) return;
      const history: Entry[] = [];
      let from = plan.readFrom;
      for (;;) {
        const page = await broker.read(channel, from, PAGE);
        if (stopped) return;
        for (const entry of page.entries) history.push(entry);
        if (page.entries.length < PAGE) break;
        from = page.entries[page.entries.length - 1]!.seq;
        if (buffer.length > 0 && from >= buffer[0]!.seq) break; // the live buffer holds the rest
      }
      // From here to goLive() nothing awaits: no delivery can slip between the replay and live delivery.
      const horizon = fanout.delivered(channel) ?? position.seq;
      const resumed = mergeResume({ plan, position, history, live: buffer, horizon, filter });
      subscriber.start({ epoch: position.epoch, seq: horizon }, resumed);
      goLive();
    })().catch((error) => {
      if (stopped) return;
      stop();
      subscriber.fail(error);
    });
  };
  // A shared broker (Redis) that has not reached its store yet knows no position (epoch ""): the subscriber
  // stays connected and starts — hello first — once it does.
  if (broker.position(channel).epoch === "") void broker.ready().then(() => !stopped && begin());
  else begin();
  return stop;
}

/** A seq resume: planned against this instance's position once it has caught up with the client's `since`. */
async function planSeq(broker: Broker, fanout: Fanout, channel: Channel, resume: ResumeRequest, start: StreamPosition) {
  const position = await caughtUpTo(broker, fanout, channel, resume, start);
  return { position, plan: planResume(resume, position) };
}

/** A replay by time: a seq resume from just before the first entry at or after the time, flagged if history falls short. */
async function planTime(broker: Broker, channel: Channel, sinceTime: number, start: StreamPosition) {
  const { since, reachesBack } = timeStart(sinceTime, await broker.seek(channel, sinceTime));
  const plan: ResumePlan = { since, readFrom: since, sinceTime, ...(reachesBack ? {} : { reason: "history_exceeded" as const }) };
  return { position: start, plan };
}

/** How long a resuming subscriber waits for this instance to deliver what another instance already sent it. */
const CATCH_UP_MS = 5_000;

/**
 * The position to plan a resume against. With a shared broker (Redis) another instance may have delivered
 * entries this one has not delivered yet, so a client coming from there can be ahead of our position by a
 * few seqs: if the stream itself holds its `since`, wait (briefly) until this instance delivered it too,
 * rather than telling the client its since is "ahead of the stream". With one instance this never waits.
 */
async function caughtUpTo(broker: Broker, fanout: Fanout, channel: Channel, resume: ResumeRequest, start: StreamPosition): Promise<StreamPosition> {
  if (resume.since <= start.seq || (resume.epoch !== undefined && resume.epoch !== start.epoch)) return start;
  const stored = (await broker.read(channel, resume.since, 1)).position;
  if (stored.epoch !== start.epoch || stored.seq < resume.since) return start;
  const reached = () => (fanout.delivered(channel) ?? 0) >= resume.since;
  if (!reached()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, CATCH_UP_MS);
      const unlisten = fanout.listen(channel, () => reached() && done());
      function done() {
        clearTimeout(timer);
        unlisten();
        resolve();
      }
    });
  }
  return broker.position(channel);
}
