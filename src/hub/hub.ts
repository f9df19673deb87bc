import type { EventInput, LogInput } from "../protocol/inputs.ts";
import type { Channel } from "./channels.ts";
import type { Broker, HistoryPage, StreamPosition } from "./broker.ts";
import { clockNow, eventDraft, logDraft } from "./envelope.ts";

/** What a publisher is told about each accepted item. */
export interface Accepted {
  seq: number;
  id?: string;
}

/** The front door of the core: HTTP routes, WebSocket handlers and the logger all publish through it. */
export interface Hub {
  publishEvents(inputs: EventInput[]): Promise<Accepted[]>;
  publishLogs(inputs: LogInput[]): Promise<Accepted[]>;
  read(channel: Channel, since: number, limit: number): Promise<HistoryPage>;
  position(channel: Channel): StreamPosition;
  close(): Promise<void>;
}

/** Wraps a broker with envelope building. */
export function createHub(broker: Broker): Hub {
  return {
    async publishEvents(inputs) {
      const now = clockNow();
      const entries = await broker.publish("events", inputs.map((input) => eventDraft(input, now)));
      return entries.map((e) => ({ seq: e.seq, id: e.id }));
    },
    async publishLogs(inputs) {
      const now = clockNow();
      const entries = await broker.publish("logs", inputs.map((input) => logDraft(input, now)));
      return entries.map((e) => ({ seq: e.seq }));
    },
    read: (channel, since, limit) => broker.read(channel, since, limit),
    position: (channel) => broker.position(channel),
    close: () => broker.close(),
  };
}
