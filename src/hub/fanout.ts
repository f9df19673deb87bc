import { CHANNELS, entryTopics, type Channel } from "./channels.ts";
import type { Entry } from "./envelope.ts";

/** Publishes one frame of `channel` to one topic; in production, Bun's `server.publish` (metered). */
export type TopicSink = (topic: string, frame: string, channel: Channel) => void;

/** A JS-side receiver of one channel's delivered entries (a resuming socket, an SSE stream). */
export type Listener = (entries: Entry[]) => void;

/**
 * Local fan-out: turns stored entries into topic publishes (native pub/sub does the per-client work), and
 * hands them to the few JS listeners that need them — never a loop over every client. The sink is
 * attached once the server is listening, since the broker (and the logger) exist before it.
 */
export interface Fanout {
  deliver(channel: Channel, entries: Entry[]): void;
  attach(sink: TopicSink): void;
  /** Calls `listener` with every batch delivered on the channel from now on, until the returned function is called. */
  listen(channel: Channel, listener: Listener): () => void;
  /**
   * The last seq delivered on the channel by this process (what native subscribers have been sent), or
   * undefined before the first delivery — e.g. right after a restart on durable history.
   */
  delivered(channel: Channel): number | undefined;
}

/** Creates a fan-out that drops frames until a sink is attached. */
export function createFanout(): Fanout {
  let sink: TopicSink | undefined;
  const listeners = new Map<Channel, Set<Listener>>(CHANNELS.map((c) => [c, new Set()]));
  const last = new Map<Channel, number>();
  return {
    deliver(channel, entries) {
      if (entries.length === 0) return;
      last.set(channel, entries[entries.length - 1]!.seq);
      if (sink) {
        for (const entry of entries) for (const topic of entryTopics(channel, entry)) sink(topic, entry.frame, channel);
      }
      for (const listener of listeners.get(channel)!) listener(entries);
    },
    attach(next) {
      sink = next;
    },
    listen(channel, listener) {
      const set = listeners.get(channel)!;
      // A wrapper, so the same function may listen twice and each registration is removed on its own.
      const registered: Listener = (entries) => listener(entries);
      set.add(registered);
      return () => void set.delete(registered);
    },
    delivered: (channel) => last.get(channel),
  };
}
