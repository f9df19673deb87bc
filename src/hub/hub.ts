import type { LogLine } from "../log/line.ts";
import type { Channel } from "./channels.ts";
import type { Broker, HistoryPage, Published, StreamPosition } from "./broker.ts";
import { subscribe, type SubscribeRequest, type Subscriber } from "./catchup.ts";
import type { BrokerHealth } from "./unavailable.ts";
import { clockNow, eventDraft, eventIdOf, logDraft, type Entry, type NewEvent } from "./envelope.ts";
import type { Fanout } from "./fanout.ts";
import { then, type MaybePromise } from "./maybe-promise.ts";
import type { Filter } from "./filter.ts";
import { readPage, type Page } from "./page.ts";
import { timeStart, type TimeStart } from "./time-start.ts";

/** What a publisher is told about each accepted item; `duplicate`: its id was held, `seq` is the original's. */
export interface Accepted {
  seq: number;
  id?: string;
  duplicate?: true;
}

/** The front door of the core: HTTP routes, WebSocket handlers and the logger all publish through it. */
export interface Hub {
  /** Publishes events: what each was given, at once when the broker stored them at once (see Broker.publish). */
  publishEvents(inputs: NewEvent[]): MaybePromise<Accepted[]>;
  /** Publishes log lines, as publishEvents does. */
  publishLogs(inputs: LogLine[]): MaybePromise<Accepted[]>;
  read(channel: Channel, since: number, limit: number): Promise<HistoryPage>;
  /** The retained entry stored under this id (the frame subscribers got), if any. */
  byId(channel: Channel, id: string): Promise<Entry | undefined>;
  position(channel: Channel): StreamPosition;
  /** Up to `limit` entries after `since` that the filter lets through, and where the next page starts. */
  readPage(channel: Channel, filter: Filter, since: number, limit: number): Promise<Page>;
  /** Where a history read from a time (ms) starts, and whether the history reaches back to it. */
  startAt(channel: Channel, time: number): Promise<TimeStart>;
  /** Starts a subscriber: replay (when resuming) handed over to live delivery with no gap; returns a stop function. */
  subscribe(request: SubscribeRequest, subscriber: Subscriber): () => void;
  /** Whether publishes can be stored right now (see Broker.health). */
  health(): BrokerHealth;
  close(): Promise<void>;
}

/** Wraps a broker (and the fan-out it delivers to) with envelope building. */
export function createHub(broker: Broker, fanout: Fanout): Hub {
  return {
    publishEvents(inputs) {
      const now = clockNow();
      const drafts = inputs.map((input) => eventDraft(input, now));
      // A server-made id is in the draft's frame only: entries carry the ids publishers chose.
      const answer = (entries: Published[]): Accepted[] =>
        entries.map((e, i) => (e.duplicate ? { seq: e.seq, id: e.id, duplicate: true } : { seq: e.seq, id: eventIdOf(drafts[i]!) }));
      return then(broker.publish("events", drafts), answer);
    },
    publishLogs(inputs) {
      const now = clockNow();
      const answer = (entries: Published[]): Accepted[] => entries.map((e) => ({ seq: e.seq }));
      return then(broker.publish("logs", inputs.map((input) => logDraft(input, now))), answer);
    },
    read: (channel, since, limit) => broker.read(channel, since, limit),
    byId: (channel, id) => broker.byId(channel, id),
    position: (channel) => broker.position(channel),
    readPage: (channel, filter, since, limit) => readPage(broker, channel, filter, since, limit),
    startAt: async (channel, time) => timeStart(time, await broker.seek(channel, time)),
    subscribe: (request, subscriber) => subscribe(broker, fanout, request, subscriber),
    health: () => broker.health(),
    close: () => broker.close(),
  };
}
