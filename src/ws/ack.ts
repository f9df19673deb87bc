import type { Accepted } from "../hub/hub.ts";
import type { ControlFrame } from "../protocol/frames.ts";

/**
 * The `ack` of a publish frame: every event's seq in the order sent, and — only when there were any — the
 * indexes of the duplicates (events whose id the history already held), so the common ack stays as it was.
 */
export function ackOf(id: string | number, accepted: Accepted[]): ControlFrame {
  const seqs = accepted.map((a) => a.seq);
  const duplicates: number[] = [];
  for (let i = 0; i < accepted.length; i++) if (accepted[i]!.duplicate) duplicates.push(i);
  return duplicates.length ? { kind: "ack", id, seqs, duplicates } : { kind: "ack", id, seqs };
}
