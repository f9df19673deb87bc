import { CHANNELS, entryTopics, type Channel } from "./channels.ts";
import type { Entry } from "./envelope.ts";

/** Where topic publishes go; in production, Bun's pub/sub (metered). */
export interface TopicSink {
  /** How many sockets hold the topic. */
  subscribers(topic: string): number;
  /** Publishes one frame of `channel` to a topic that `subscribers` sockets hold (never called for none). */
  publish(topic: string, frame: string, channel: Channel, subscribers: number): void;
}

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
  /** The last seq published to a filter topic that had subscribers (may forget old topics), so checkpoints can tell a quiet filter. */
  lastOn(topic: string): number | undefined;
}

/** Topics remembered by `lastOn` before it starts over: bounded like the topic cache; forgetting only costs a spare checkpoint. */
const LAST_ON_TOPICS = 4096;

/**
 * Creates a fan-out that drops frames until a sink is attached. A listener that throws is a bug of that
 * listener: the others still get the batch, and the publish (stored and delivered) still succeeds;
 * `onListenerError` is told (the server logs it). Without one, the first error is thrown after every
 * listener ran, so a test sees it.
 */
export function createFanout(onListenerError?: (err: unknown) => void): Fanout {
  let sink: TopicSink | undefined;
  const listeners = new Map<Channel, Set<Listener>>(CHANNELS.map((c) => [c, new Set()]));
  const last = new Map<Channel, number>();
  const lastOnTopic = new Map<string, number>();
  return {
    deliver(channel, entries) {
      if (entries.length === 0) return;
      last.set(channel, entries[entries.length - 1]!.seq);
      if (sink) {
        // Subscriber counts are read once per run of entries with the same topics (entryTopics hands out
        // one array per type), not per entry: no socket can subscribe while this loop runs. Most filter
        // topics have no subscriber, and publishing to them would do nothing, so they are skipped.
        let topics: readonly string[] | undefined;
        let counts: number[] = [];
        for (const entry of entries) {
          const next = entryTopics(channel, entry);
          if (next !== topics) {
            topics = next;
            counts = next.map((topic) => sink!.subscribers(topic));
          }
          for (let i = 0; i < next.length; i++) {
            if (counts[i]! === 0) continue;
            sink.publish(next[i]!, entry.frame, channel, counts[i]!);
            // next[0] is the channel topic: unfiltered subscribers get no checkpoints, so it costs nothing here.
            if (i > 0) lastOnTopic.set(next[i]!, entry.seq);
          }
        }
        if (lastOnTopic.size > LAST_ON_TOPICS) lastOnTopic.clear();
      }
      let failed: { err: unknown } | undefined;
      for (const listener of listeners.get(channel)!) {
        try {
          listener(entries);
        } catch (err) {
          if (onListenerError) onListenerError(err);
          else failed ??= { err };
        }
      }
      if (failed) throw failed.err;
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
    lastOn: (topic) => lastOnTopic.get(topic),
  };
}
