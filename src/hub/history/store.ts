import type { StreamPosition } from "../broker.ts";
import type { Channel } from "../channels.ts";
import type { Entry } from "../envelope.ts";

/**
 * Where a broker keeps each channel's history and position: in memory (`memory.ts`) or on disk
 * (`sqlite.ts`). Synchronous on purpose, so a broker's publish stays one step.
 */
export interface HistoryStore {
  /** The channel's stored position; a new store starts at seq 0 with a fresh epoch. */
  load(channel: Channel): StreamPosition;
  /** Stores the entries of one publish call at once (one transaction on disk); their seqs follow the stored ones. */
  append(channel: Channel, entries: Entry[]): void;
  /** Entries with seq > `since`, oldest first, at most `limit`, none older than the max age before `now`. */
  read(channel: Channel, since: number, limit: number, now: number): { entries: Entry[]; firstSeq: number };
  /** Seq of the first entry accepted at or after `time` (undefined when none), of the oldest held, and the max-age cutoff before `now`. */
  seek(channel: Channel, time: number, now: number): { seq: number | undefined; firstSeq: number; keptSince: number };
  /** The retained entry stored under `id` (none older than the max age before `now`): what makes publishing idempotent. */
  byId(channel: Channel, id: string, now: number): Entry | undefined;
  close(): void;
}

/** How much history a store keeps per channel. */
export interface Retention {
  /** Entries kept per channel. */
  historySize: number;
  /** Entries older than this are dropped (ms); unset keeps them until evicted by size. */
  historyMaxAgeMs?: number;
}

/** Retention from the settings (--history-size, --history-max-age in seconds, 0 = none). */
export function retention(settings: { historySize: number; historyMaxAge: number }): Retention {
  return { historySize: settings.historySize, ...(settings.historyMaxAge > 0 ? { historyMaxAgeMs: settings.historyMaxAge * 1000 } : {}) };
}
