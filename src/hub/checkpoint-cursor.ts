/**
 * Where one filtered subscriber (or every socket of one filter) stands for checkpoints: the last position
 * it was given (its start or a checkpoint) and the last match seen at the previous tick.
 */
export interface CheckpointCursor {
  sent: number;
  seen: number;
}

/** A cursor for a subscriber that starts at `head` (its hello's seq) with its last match at `matched`. */
export function checkpointCursor(head: number, matched = 0): CheckpointCursor {
  return { sent: head, seen: matched };
}

/**
 * The checkpoint due at a tick, if any, given the channel's delivered `head` and the subscriber's last
 * match. None while matches keep coming (its resume position is as fresh as the interval), none when the
 * channel has not moved past what it holds; otherwise `head`, at most once per tick.
 */
export function checkpointDue(cursor: CheckpointCursor, head: number, matched: number): number | undefined {
  if (matched > cursor.seen) {
    cursor.seen = matched;
    return undefined;
  }
  if (head <= Math.max(cursor.sent, matched)) return undefined;
  cursor.sent = head;
  return head;
}
