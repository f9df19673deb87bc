import type { Entry } from "./envelope.ts";
import { matches, type Filter } from "./filter.ts";
import type { StreamPosition } from "./broker.ts";

/**
 * The resume merge: pure code, no timers or I/O. A resuming subscriber listens to live deliveries first
 * (buffering them), reads history, then merges the two: every entry after `since` up to what live delivery
 * has reached, once each, in order — or a gap, said plainly, where neither holds it.
 */

/** Why a subscriber does not get exactly what followed its `since` (the `reset` frame's reason). */
export const RESET_REASONS = ["history_exceeded", "epoch_changed", "since_ahead"] as const;
export type ResetReason = (typeof RESET_REASONS)[number];

/** What the client asked for: the last seq it saw, and the epoch that seq belongs to (when it knows). */
export interface ResumeRequest {
  since: number;
  epoch?: string;
}

/** Where to read history from; a reason when the client's start cannot be taken as is. */
export interface ResumePlan {
  since: number;
  readFrom: number;
  /** `history_exceeded` here: a replay by time whose time the history no longer reaches back to (time-start.ts). */
  reason?: ResetReason;
  clientEpoch?: string;
  /** The time (ms) a replay by time starts at, for the reset's message. */
  sinceTime?: number;
}

/**
 * Decides where replay starts. A different epoch, or a `since` beyond the stream's end, means the client's
 * seqs belong to a lost history (a restart without --data): it gets everything the current history holds.
 */
export function planResume(request: ResumeRequest, position: StreamPosition): ResumePlan {
  const base = { since: request.since, clientEpoch: request.epoch };
  if (request.epoch !== undefined && request.epoch !== position.epoch) return { ...base, readFrom: 0, reason: "epoch_changed" };
  if (request.since > position.seq) return { ...base, readFrom: 0, reason: "since_ahead" };
  return { ...base, readFrom: request.since };
}

/** A hole in what the subscriber receives, reported as a `reset` frame. */
export interface Gap {
  reason: ResetReason;
  /** Seqs that are gone, when the hole is in this stream. */
  lost?: { from: number; to: number };
  /** The seq the stream continues with. */
  next: number;
  message: string;
}

export type ResumeItem = { entry: Entry } | { gap: Gap };

export interface Resumed {
  /** Entries (already filtered) and gaps, in seq order. */
  items: ResumeItem[];
  /** True when nothing after `since` is missing. */
  complete: boolean;
  /** The last seq the replay covers: live delivery carries on after it. */
  seq: number;
  /** The seq the replay follows: the client's `since`, or where its `since_time` falls. */
  since: number;
  /** The time (ms) a replay by time was asked from. */
  sinceTime?: number;
}

export interface MergeInput {
  plan: ResumePlan;
  position: StreamPosition;
  /** History read after `plan.readFrom`, oldest first. */
  history: readonly Entry[];
  /** Entries delivered live since listening began, oldest first. */
  live: readonly Entry[];
  /** The last seq delivered live: everything up to it must come from the replay, everything after from live delivery. */
  horizon: number;
  filter: Filter;
}

/** Merges history and the live buffer into what the subscriber gets before live delivery takes over. */
export function mergeResume({ plan, position, history, live, horizon, filter }: MergeInput): Resumed {
  const items: ResumeItem[] = [];
  let expected = plan.readFrom + 1;
  let first = true;
  const gapTo = (next: number) => {
    const lost = next > expected ? { from: expected, to: next - 1 } : undefined;
    const reason: ResetReason = first && plan.reason ? plan.reason : "history_exceeded";
    if (lost || (first && plan.reason)) items.push({ gap: { reason, lost, next, message: describe(reason, plan, position, next, lost) } });
  };
  const take = (entry: Entry) => {
    if (entry.seq < expected || entry.seq > horizon) return; // before the replay, a duplicate, or live delivery's job
    if (first || entry.seq > expected) gapTo(entry.seq);
    first = false;
    if (matches(filter, entry)) items.push({ entry });
    expected = entry.seq + 1;
  };
  let i = 0;
  let j = 0;
  while (i < history.length || j < live.length) {
    const h = history[i];
    const l = live[j];
    if (l === undefined || (h !== undefined && h.seq <= l.seq)) {
      take(h!);
      i++;
    } else {
      take(l);
      j++;
    }
  }
  if (first || expected <= horizon) gapTo(horizon + 1);
  const from = plan.sinceTime === undefined ? {} : { sinceTime: plan.sinceTime };
  return { items, complete: items.every((item) => "entry" in item), seq: horizon, since: plan.since, ...from };
}

function describe(reason: ResetReason, plan: ResumePlan, position: StreamPosition, next: number, lost?: { from: number; to: number }): string {
  const gone = lost ? `seq ${lost.from}–${lost.to} (${lost.to - lost.from + 1}) ${lost.to === lost.from ? "is" : "are"} no longer in history` : "";
  switch (reason) {
    case "epoch_changed":
      return `the stream was recreated (epoch ${plan.clientEpoch} is gone, now ${position.epoch}): the server restarted without --data or its history was lost; ` +
        `your since=${plan.since} does not apply${lost ? `, and ${gone}` : ""}; continuing from seq ${next}`;
    case "since_ahead":
      return `since=${plan.since} is ahead of this stream (at seq ${position.seq}, epoch ${position.epoch}): the server probably restarted without --data; ` +
        `${lost ? `${gone}; ` : ""}continuing from seq ${next} of the current stream`;
    case "history_exceeded":
      if (plan.sinceTime !== undefined && !lost) {
        return `the history no longer reaches back to ${new Date(plan.sinceTime).toISOString()}: older entries were evicted (--history-size, --history-max-age), ` +
          `some possibly from after that time; continuing from seq ${next}`;
      }
      return `${gone}: they were published while you were away and the history (--history-size) no longer reaches back; continuing from seq ${next}`;
  }
}
