import type { Entry } from "../envelope.ts";

/**
 * A bounded ring of the most recent entries of one channel, oldest first.
 * Pure: no timers, no I/O; max-age is applied against the `now` the caller passes in.
 */
export interface Ring {
  /** Appends an entry (seqs must increase); evicts the oldest past capacity. O(1). */
  append(entry: Entry): void;
  /** Entries with seq > `since`, oldest first, at most `limit`. */
  after(since: number, limit?: number): Entry[];
  /** Seq of the first entry with time >= `time` (times grow with seqs: binary search), or undefined when none. */
  firstAt(time: number): number | undefined;
  /** Drops entries older than `maxAgeMs` before `now`. */
  expire(now: number): void;
  /** Seq of the oldest entry held, or undefined when empty. */
  firstSeq(): number | undefined;
  /** Seq of the newest entry held, or undefined when empty. */
  lastSeq(): number | undefined;
  /** How many entries are held. */
  size(): number;
}

/**
 * Creates an empty history holding at most `capacity` entries (and none older than `maxAgeMs`, if set);
 * `onDrop` hears of each entry evicted or expired, so an index over the ring can forget it.
 */
export function createRing(capacity: number, maxAgeMs?: number, onDrop?: (entry: Entry) => void): Ring {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("history capacity must be a positive integer");
  const ring: (Entry | undefined)[] = new Array(capacity);
  let head = 0; // index of the oldest entry
  let count = 0;

  const at = (i: number) => ring[(head + i) % capacity] as Entry;

  /** Index (0..count) of the first entry for which `before` is false: binary search over an ordered ring. */
  const firstNot = (before: (entry: Entry) => boolean) => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(at(mid))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const firstAfter = (since: number) => firstNot((e) => e.seq <= since);

  return {
    append(entry) {
      if (count === capacity) {
        onDrop?.(ring[head]!);
        ring[head] = entry;
        head = (head + 1) % capacity;
      } else {
        ring[(head + count) % capacity] = entry;
        count++;
      }
    },
    after(since, limit = Infinity) {
      const out: Entry[] = [];
      for (let i = firstAfter(since); i < count && out.length < limit; i++) out.push(at(i));
      return out;
    },
    firstAt(time) {
      const i = firstNot((e) => e.time < time);
      return i < count ? at(i).seq : undefined;
    },
    expire(now) {
      if (maxAgeMs === undefined) return;
      while (count > 0 && at(0).time < now - maxAgeMs) {
        onDrop?.(at(0));
        ring[head] = undefined;
        head = (head + 1) % capacity;
        count--;
      }
    },
    firstSeq: () => (count ? at(0).seq : undefined),
    lastSeq: () => (count ? at(count - 1).seq : undefined),
    size: () => count,
  };
}
