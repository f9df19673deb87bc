import type { Entry } from "./envelope.ts";

/**
 * Channels are the server's two streams. Topic names (Bun pub/sub) are derived here and only here,
 * so no other file spells a topic string.
 *
 * Each entry is published to its channel topic and to a few filter topics, so that a filtered
 * subscriber is served by native pub/sub too:
 * - an event of type `order.fill.partial` → `events:type:order.fill.partial`, `events:prefix:order.`,
 *   `events:prefix:order.fill.`;
 * - a log line → `logs:level:<level>` and `logs:level:<level>:source:<source>` (the level comes first:
 *   it holds no colon, so no two level/source pairs can spell the same topic).
 */
export const CHANNELS = ["events", "logs"] as const;

export type Channel = (typeof CHANNELS)[number];

/** The Bun pub/sub topic every subscriber of a channel (without filters) listens on. */
export function channelTopic(channel: Channel): string {
  return channel;
}

/** Topic of events whose type is exactly `type`. */
export function eventTypeTopic(type: string): string {
  return `events:type:${type}`;
}

/** Topic of events whose type starts with `prefix` (which ends with a dot, e.g. `order.`). */
export function eventPrefixTopic(prefix: string): string {
  return `events:prefix:${prefix}`;
}

/** Topic of log lines of one level, optionally from one source only. */
export function logTopic(level: string, source?: string): string {
  return source === undefined ? `logs:level:${level}` : `logs:level:${level}:source:${source}`;
}

/**
 * Topic of the checkpoints for one filter, named by the topics that filter holds (in any order): every
 * socket with the same filter shares it. JSON keeps any type or source spelling unambiguous.
 */
export function checkpointTopic(filterTopics: readonly string[]): string {
  return `checkpoint:${JSON.stringify([...filterTopics].sort())}`;
}

/**
 * Every topic an entry is published to: its channel's, then its filter topics. Read-only: the same
 * array serves every entry of that type (or level and source), so the hot path builds no strings.
 */
export function entryTopics(channel: Channel, entry: Entry): readonly string[] {
  const cache = topicCache[channel];
  const cacheKey = channel === "logs" ? `${entry.key}\u0000${entry.source}` : entry.key;
  let topics = cache.get(cacheKey);
  if (topics === undefined) {
    topics = channel === "logs" ? logEntryTopics(entry.key, entry.source) : eventEntryTopics(entry.key);
    // Bounded: a flood of distinct types or sources must not grow memory; rebuilding is cheap.
    if (cache.size >= TOPIC_CACHE_SIZE) cache.clear();
    cache.set(cacheKey, topics);
  }
  return topics;
}

const TOPIC_CACHE_SIZE = 4096;
const topicCache: Record<Channel, Map<string, readonly string[]>> = { events: new Map(), logs: new Map() };

function logEntryTopics(level: string, source: string): readonly string[] {
  return [channelTopic("logs"), logTopic(level), logTopic(level, source)];
}

function eventEntryTopics(type: string): readonly string[] {
  const topics = [channelTopic("events"), eventTypeTopic(type)];
  for (let dot = type.indexOf("."); dot !== -1; dot = type.indexOf(".", dot + 1)) topics.push(eventPrefixTopic(type.slice(0, dot + 1)));
  return topics;
}
