import { channelTopic, type Channel } from "./channels.ts";
import type { Entry } from "./envelope.ts";

/** Publishes one frame to one topic; in production, Bun's `server.publish`. */
export type TopicSink = (topic: string, frame: string) => void;

/**
 * Local fan-out: turns stored entries into topic publishes. The sink is attached once the server
 * is listening, since the broker (and the logger) exist before it.
 */
export interface Fanout {
  deliver(channel: Channel, entries: Entry[]): void;
  attach(sink: TopicSink): void;
}

/** Creates a fan-out that drops frames until a sink is attached. */
export function createFanout(): Fanout {
  let sink: TopicSink | undefined;
  return {
    deliver(channel, entries) {
      if (!sink) return;
      const topic = channelTopic(channel);
      for (const entry of entries) sink(topic, entry.frame);
    },
    attach(next) {
      sink = next;
    },
  };
}
