import type { TimeSeek } from "./broker.ts";

/**
 * Replay by time (`?since_time=`) as a seq resume: the client is treated as having seen everything before
 * the first entry accepted at or after the time. Pure code, next to the resume merge that does the rest.
 */

/** Where a replay from a time starts, and whether the history reaches back to that time. */
export interface TimeStart {
  /** Read history after this seq. */
  since: number;
  /**
   * False when entries accepted at or after the time may be gone: the oldest entry held is already at or
   * after it, and older ones were evicted (they could have been after it too). The client is told, as when
   * a seq resume falls out of history.
   */
  reachesBack: boolean;
}

/** Turns a broker's seek from `time` into the seq to replay after. */
export function timeStart(time: number, { seq, firstSeq, keptSince, position }: TimeSeek): TimeStart {
  // Nothing held: size eviction always leaves the newest entries, so everything aged out — all of it before the
  // max-age cutoff. Complete if nothing was ever published, or if the time is at or after that cutoff.
  if (firstSeq === 0) return { since: position.seq, reachesBack: position.seq === 0 || (keptSince > 0 && time >= keptSince) };
  // History starts at seq 1 (nothing evicted), or it holds an entry from before the time.
  return { since: seq - 1, reachesBack: firstSeq <= 1 || seq > firstSeq };
}
