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

/** Turns a broker's seek into the seq to replay after. */
export function timeStart({ seq, firstSeq, position }: TimeSeek): TimeStart {
  // Nothing held: complete only if nothing was ever published; otherwise it all aged out or was evicted.
  if (firstSeq === 0) return { since: position.seq, reachesBack: position.seq === 0 };
  // History starts at seq 1 (nothing evicted), or it holds an entry from before the time.
  return { since: seq - 1, reachesBack: firstSeq <= 1 || seq > firstSeq };
}
