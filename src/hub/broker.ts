import type { Channel } from "./channels.ts";
import type { Draft, Entry } from "./envelope.ts";
import type { BrokerHealth } from "./unavailable.ts";
import type { MaybePromise } from "./maybe-promise.ts";

/** Where a channel's stream stands: `epoch` names this history's lifetime, `seq` its last entry. */
export interface StreamPosition {
  epoch: string;
  seq: number;
}

/** A slice of history: the entries asked for, and what the history still reaches back to. */
export interface HistoryPage {
  entries: Entry[];
  /** Seq of the oldest entry the history still holds (0 when empty). */
  firstSeq: number;
  position: StreamPosition;
}

/**
 * Where history stands at a point in time, by the server's accept time (`Entry.time`), which only grows
 * along the seqs of a channel: the first retained entry accepted at or after it.
 */
export interface TimeSeek {
  /** Seq of the first retained entry accepted at or after the time; `position.seq + 1` when none is. */
  seq: number;
  /** Seq of the oldest entry the history holds (0 when empty). */
  firstSeq: number;
  /** The max-age cutoff (ms; 0 without --history-max-age): entries accepted since are evicted only by size. */
  keptSince: number;
  position: StreamPosition;
}

/**
 * One draft's outcome: the entry stored for it, or — `duplicate` — the entry the channel's history already
 * holds under the draft's id, which was neither stored nor delivered again.
 */
export type Published = Entry & { duplicate?: true };

/** Receives every entry a broker has stored, in seq order: the local fan-out. */
export type Deliver = (channel: Channel, entries: Entry[]) => void;

/**
 * The engine behind the hub. Publishing assigns seqs, appends to history and delivers, as one step per
 * channel; every implementation hands stored entries to the same `Deliver` function.
 */
export interface Broker {
  /**
   * Sequences, stores and delivers the drafts: one outcome per draft, in order, once they are stored. A
   * broker that stores at once (memory, SQLite without group commit) returns them, not a promise, which
   * saves the publish path a turn of the microtask queue per layer; a failure is always a rejected promise.
   * A draft whose id the retained history already holds (or an earlier draft of the same call) is a duplicate.
   */
  publish(channel: Channel, drafts: Draft[]): MaybePromise<Published[]>;
  /** The retained entry stored under this id, if any (ids are remembered exactly as long as their entry is kept). */
  byId(channel: Channel, id: string): Promise<Entry | undefined>;
  /** Entries with seq > `since`, oldest first, at most `limit`. */
  read(channel: Channel, since: number, limit: number): Promise<HistoryPage>;
  /** The first retained entry accepted at or after `time` (ms since the Unix epoch): bounded, no scan of the history. */
  seek(channel: Channel, time: number): Promise<TimeSeek>;
  /** The channel's current position (the last delivered seq); epoch "" until the broker has read it (ready()). */
  position(channel: Channel): StreamPosition;
  /** Whether publishes can be stored right now, and if not, why (for /api/health). */
  health(): BrokerHealth;
  /** Resolves once the broker knows every channel's position (at once in memory; after reaching Redis). */
  ready(): Promise<void>;
  /** Releases resources (connections, files). */
  close(): Promise<void>;
}

/** A random id that names one lifetime of a channel's history. */
export function newEpoch(): string {
  return crypto.randomUUID().slice(0, 8);
}
