import { LOG_LEVELS, type LogLevel } from "../log/level.ts";
import { channelTopic, eventPrefixTopic, eventTypeTopic, logTopic, type Channel } from "./channels.ts";
import type { Entry } from "./envelope.ts";

/**
 * What a subscriber wants from a channel. A filter is served by native pub/sub: it names a set of topics
 * that no entry belongs to twice, so no frame arrives twice. `matches` is the same rule in JS, for replayed
 * history and for JS-side subscribers (SSE).
 */
export type Filter =
  | { channel: "events"; all: true }
  | { channel: "events"; all: false; exact: string[]; prefixes: string[] }
  | { channel: "logs"; levels: LogLevel[]; sources?: string[] };

/** Every entry of the channel. */
export function everything(channel: Channel): Filter {
  return channel === "events" ? { channel, all: true } : { channel, levels: [...LOG_LEVELS] };
}

/**
 * An event filter from patterns: exact types (`order.filled`), prefixes (`order.*` = every type that starts
 * with `order.`), or `*`. Normalised: a pattern covered by another (`order.filled` or `order.fill.*` beside
 * `order.*`) is dropped, so the topics never overlap.
 */
export function eventFilter(patterns: readonly string[]): Filter {
  if (patterns.length === 0 || patterns.includes("*")) return { channel: "events", all: true };
  const prefixes = [...new Set(patterns.filter((p) => p.endsWith(".*")).map((p) => p.slice(0, -1)))].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const p of prefixes) if (!kept.some((k) => p.startsWith(k))) kept.push(p);
  const exact = [...new Set(patterns.filter((p) => !p.endsWith(".*")))].filter((t) => !kept.some((k) => t.startsWith(k)));
  return { channel: "events", all: false, exact, prefixes: kept };
}

/** A log filter: `minLevel` and above, from any of `sources` (every source when absent). */
export function logFilter(minLevel: LogLevel = "debug", sources?: readonly string[]): Filter {
  const levels = LOG_LEVELS.slice(LOG_LEVELS.indexOf(minLevel));
  return { channel: "logs", levels, ...(sources && sources.length > 0 ? { sources: [...new Set(sources)] } : {}) };
}

/** The topics that deliver exactly the entries the filter matches, each once. */
export function filterTopics(filter: Filter): string[] {
  if (filter.channel === "events") {
    if (filter.all) return [channelTopic("events")];
    return [...filter.exact.map(eventTypeTopic), ...filter.prefixes.map(eventPrefixTopic)];
  }
  if (!filter.sources) return filter.levels.length === LOG_LEVELS.length ? [channelTopic("logs")] : filter.levels.map((l) => logTopic(l));
  return filter.sources.flatMap((s) => filter.levels.map((l) => logTopic(l, s)));
}

/** Whether the filter lets the entry through (the JS twin of `filterTopics`). */
export function matches(filter: Filter, entry: Entry): boolean {
  if (filter.channel === "events") return allowsType(filter, entry.key);
  return (filter.levels as string[]).includes(entry.key) && (!filter.sources || filter.sources.includes(entry.source));
}

/** True when the filter lets everything through (no JS check needed). */
export function isEverything(filter: Filter): boolean {
  return filter.channel === "events" ? filter.all : filter.levels.length === LOG_LEVELS.length && !filter.sources;
}

/**
 * What both filters let through, as a filter (served by native topics like any other), or undefined when
 * nothing is. How a credential's permissions narrow a subscription: `order.*` ∩ `*` is `order.*`,
 * `order.*` ∩ `order.filled` is `order.filled`, `warn`+ ∩ `error`+ is `error`+.
 */
export function intersect(a: Filter, b: Filter): Filter | undefined {
  if (a.channel === "events" && b.channel === "events") {
    if (a.all) return b;
    if (b.all) return a;
    const patterns: string[] = [];
    for (const t of a.exact) if (b.exact.includes(t) || b.prefixes.some((p) => t.startsWith(p))) patterns.push(t);
    for (const p of a.prefixes) {
      for (const t of b.exact) if (t.startsWith(p)) patterns.push(t);
      // Of two nested prefixes the longer one is the narrower: `order.fill.` within `order.`.
      for (const q of b.prefixes) if (p.startsWith(q) || q.startsWith(p)) patterns.push(`${p.length >= q.length ? p : q}*`);
    }
    return patterns.length === 0 ? undefined : eventFilter(patterns);
  }
  if (a.channel === "logs" && b.channel === "logs") {
    const levels = a.levels.length <= b.levels.length ? a.levels : b.levels;
    const sources = !a.sources ? b.sources : !b.sources ? a.sources : a.sources.filter((s) => b.sources!.includes(s));
    if (sources && sources.length === 0) return undefined;
    return { channel: "logs", levels, ...(sources ? { sources } : {}) };
  }
  return undefined;
}

/** Whether `outer` lets through everything `inner` does (a refreshed credential must cover the subscription it keeps). */
export function covers(outer: Filter, inner: Filter): boolean {
  const both = intersect(outer, inner);
  if (!both) return false;
  const want = new Set(filterTopics(inner));
  const got = filterTopics(both);
  return got.length === want.size && got.every((t) => want.has(t));
}

/** Whether an event of `type` passes an event filter (a publisher's permitted types). */
export function allowsType(filter: Filter, type: string): boolean {
  if (filter.channel !== "events") return false;
  return filter.all || filter.exact.includes(type) || filter.prefixes.some((p) => type.startsWith(p));
}
