import type { StreamPosition } from "./broker.ts";
import { newEpoch } from "./broker.ts";
import { CHANNELS, type Channel } from "./channels.ts";
import type { Entry } from "./envelope.ts";
import { createHistory, type History } from "./history.ts";
import { openSqliteStore } from "./history-store-sqlite.ts";

/**
 * Where a broker keeps each channel's history and position: in memory (this file) or on disk
 * (`history-store-sqlite.ts`). Synchronous on purpose, so a broker's publish stays one step.
 */
export interface HistoryStore {
  /** The channel's stored position; a new store starts at seq 0 with a fresh epoch. */
  load(channel: Channel): StreamPosition;
  /** Stores the entries of one publish call at once (one transaction on disk); their seqs follow the stored ones. */
  append(channel: Channel, entries: Entry[]): void;
  /** Entries with seq > `since`, oldest first, at most `limit`, none older than the max age before `now`. */
  read(channel: Channel, since: number, limit: number, now: number): { entries: Entry[]; firstSeq: number };
  close(): void;
}

/** How much history a store keeps per channel. */
export interface Retention {
  /** Entries kept per channel. */
  historySize: number;
  /** Entries older than this are dropped (ms); unset keeps them until evicted by size. */
  historyMaxAgeMs?: number;
}

/** The in-memory store: one ring per channel; lost when the process ends (a new epoch tells clients so). */
export function createMemoryStore({ historySize, historyMaxAgeMs }: Retention): HistoryStore {
  const streams = new Map<Channel, { position: StreamPosition; history: History }>();
  for (const channel of CHANNELS) {
    streams.set(channel, { position: { epoch: newEpoch(), seq: 0 }, history: createHistory(historySize, historyMaxAgeMs) });
  }
  const stream = (channel: Channel) => streams.get(channel)!;
  return {
    load: (channel) => ({ ...stream(channel).position }),
    append(channel, entries) {
      const s = stream(channel);
      for (const entry of entries) s.history.append(entry);
      if (entries.length > 0) s.position.seq = entries[entries.length - 1]!.seq;
    },
    read(channel, since, limit, now) {
      const { history } = stream(channel);
      history.expire(now);
      return { entries: history.after(since, limit), firstSeq: history.firstSeq() ?? 0 };
    },
    close() {},
  };
}

/** Retention from the settings (--history-size, --history-max-age in seconds, 0 = none). */
export function retention(settings: { historySize: number; historyMaxAge: number }): Retention {
  return { historySize: settings.historySize, ...(settings.historyMaxAge > 0 ? { historyMaxAgeMs: settings.historyMaxAge * 1000 } : {}) };
}

/** The store the settings ask for: SQLite in `dataDir` when given, else memory. */
export function openHistoryStore(retention: Retention, dataDir: string | undefined, sync: "full" | "normal"): HistoryStore {
  return dataDir === undefined ? createMemoryStore(retention) : openSqliteStore({ ...retention, dir: dataDir, sync });
}
