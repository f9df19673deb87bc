import { CHANNELS, checkpointTopic, type Channel } from "./channels.ts";
import { checkpointCursor, checkpointDue, type CheckpointCursor } from "./checkpoint-cursor.ts";
import type { Fanout } from "./fanout.ts";
import { filterTopics, isEverything, type Filter } from "./filter.ts";

/** Where checkpoints for native subscribers go; in production, Bun's pub/sub. */
export interface CheckpointSink {
  /** How many sockets hold the topic. */
  subscribers(topic: string): number;
  /** Publishes a checkpoint at `seq` of `channel` to a filter's checkpoint topic. */
  publish(topic: string, channel: Channel, seq: number): void;
}

/** A JS-side filtered subscriber (an SSE stream), told the channel's delivered head at every tick. */
export type CheckpointListener = (head: number) => void;

/**
 * Checkpoints tell a filtered subscriber how far the channel has moved without a match, so that its resume
 * position (`since`) keeps up with the channel rather than with its last match, and does not fall out of
 * history. Native subscribers are served per filter, never per socket or per event: one cursor per distinct
 * topic set, one timer per server that runs only while the channels move, and one publish per quiet filter
 * per tick to a topic its sockets hold. A checkpoint carries the seq this process has delivered, so every
 * frame up to it was published in an earlier tick (or earlier in this one): it never overtakes an event.
 */
export interface Checkpoints {
  /** The topic a socket with this filter also holds for its checkpoints; undefined when unfiltered or off. */
  topicFor(filter: Filter): string | undefined;
  /** Calls `listener` with the channel's head at each tick, until the returned function is called. */
  listen(channel: Channel, listener: CheckpointListener): () => void;
  /** Whether checkpoints are sent at all (--checkpoint-ms above 0). */
  readonly enabled: boolean;
  attach(sink: CheckpointSink): void;
  /** Stops the timer (the server stops). */
  close(): void;
}

/** One filter's native subscribers: its topics and where they stand. */
interface Watched {
  channel: Channel;
  topics: readonly string[];
  cursor: CheckpointCursor;
}

/** Checkpoints every `intervalMs` of quiet (0 = never), from what `fanout` delivers. */
export function createCheckpoints(fanout: Fanout, intervalMs: number): Checkpoints {
  const enabled = intervalMs > 0;
  const watched = new Map<string, Watched>();
  const listeners = new Map<Channel, Set<CheckpointListener>>(CHANNELS.map((c) => [c, new Set()]));
  const heads = new Map<Channel, number>();
  let jsListeners = 0;
  let sink: CheckpointSink | undefined;
  let timer: Timer | undefined;
  let closed = false;

  const matchedOf = (topics: readonly string[]) => {
    let matched = 0;
    for (const topic of topics) matched = Math.max(matched, fanout.lastOn(topic) ?? 0);
    return matched;
  };
  // Asked on every delivered batch: two comparisons, so an unfiltered-only server pays nothing more.
  const nobody = () => watched.size === 0 && jsListeners === 0;
  const arm = () => {
    if (timer !== undefined || closed || nobody()) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref(); // the sockets keep a running server alive; this alone must not keep a stopped one
  };
  function tick() {
    timer = undefined;
    let moved = false;
    for (const channel of CHANNELS) {
      const head = fanout.delivered(channel);
      if (head === undefined) continue;
      if (heads.get(channel) !== head) moved = true;
      heads.set(channel, head);
      for (const [topic, w] of watched) {
        if (w.channel !== channel) continue;
        // Sockets leave without telling: a filter nobody holds any more is forgotten here.
        if (!sink || sink.subscribers(topic) === 0) {
          watched.delete(topic);
          continue;
        }
        const seq = checkpointDue(w.cursor, head, matchedOf(w.topics));
        if (seq !== undefined) sink.publish(topic, channel, seq);
      }
      for (const listener of listeners.get(channel)!) listener(head);
    }
    // One more tick after the last movement: a filter that matched in the last interval is due then.
    if (moved) arm();
  }
  if (enabled) for (const channel of CHANNELS) fanout.listen(channel, arm);

  return {
    topicFor(filter) {
      if (!enabled || isEverything(filter)) return undefined;
      const topics = filterTopics(filter);
      const topic = checkpointTopic(topics);
      if (!watched.has(topic)) {
        // Starts where a new socket's hello does: nothing is due until the channel moves on.
        const cursor = checkpointCursor(fanout.delivered(filter.channel) ?? 0, matchedOf(topics));
        watched.set(topic, { channel: filter.channel, topics, cursor });
        arm(); // a tick forgets it if its sockets leave, even on a channel that never moves
      }
      return topic;
    },
    listen(channel, listener) {
      const set = listeners.get(channel)!;
      const registered: CheckpointListener = (head) => listener(head);
      set.add(registered);
      jsListeners++;
      return () => {
        if (set.delete(registered)) jsListeners--;
      };
    },
    enabled,
    attach(next) {
      sink = next;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
