import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { newEpoch, type StreamPosition } from "../broker.ts";
import type { Channel } from "../channels.ts";
import { sequence, tailOf, type Entry } from "../envelope.ts";
import type { HistoryStore, Retention } from "./store.ts";
import { messageOf } from "../../error-text.ts";

/** The file the history lives in, inside the --data directory. */
export const DATA_FILE = "stream-server.sqlite";

/** The --data directory cannot be used: the message says why and what to do. */
export class DataDirError extends Error {
  override name = "DataDirError";
}

export interface SqliteStoreOptions extends Retention {
  dir: string;
  /** `full`: each publish is fsynced before it is answered; `normal`: it survives a crash of the process, not of the machine. */
  sync: "full" | "normal";
  /** How the user named `dir` (`--data`, or `STREAM_DATA` from the environment), for error messages; default `--data`. */
  setting?: string;
}

interface Row {
  seq: number;
  kind: "event" | "log";
  key: string;
  source: string;
  time: number;
  id: string | null;
  tail: string;
}

/** A row back as the entry it stores. */
const entryOf = (r: Row): Entry =>
  sequence({ kind: r.kind, key: r.key, source: r.source, time: r.time, tail: r.tail, ...(r.id !== null ? { id: r.id } : {}) }, r.seq);

/** Max-age pruning deletes rows; doing it at most this often keeps it off the per-publish path. */
const PRUNE_EVERY_MS = 1000;

/**
 * History on disk: SQLite in WAL mode, one transaction per publish call holding the entries and the channel's
 * new seq, so a restart keeps history, seq and epoch together. The database is locked to this process.
 */
export function openSqliteStore({ dir, sync, historySize, historyMaxAgeMs, setting = "--data" }: SqliteStoreOptions): HistoryStore {
  const path = join(dir, DATA_FILE);
  let db: Database;
  try {
    mkdirSync(dir, { recursive: true });
    db = new Database(path, { create: true, strict: true });
  } catch (err) {
    throw new DataDirError(`cannot open the history database ${path} (${setting}): ${messageOf(err)}; check that the directory exists and is writable`);
  }
  try {
    // One writer: a second server on the same directory would hand out the same seqs. EXCLUSIVE locking holds
    // the lock until close; BEGIN EXCLUSIVE takes it now, so a second server fails at start, not at its first publish.
    db.run("PRAGMA locking_mode = EXCLUSIVE");
    db.run("PRAGMA busy_timeout = 0");
    db.run("PRAGMA journal_mode = WAL");
    db.run("BEGIN EXCLUSIVE");
    db.run("COMMIT");
    db.run(`PRAGMA synchronous = ${sync === "full" ? "FULL" : "NORMAL"}`);
    db.run("CREATE TABLE IF NOT EXISTS streams (channel TEXT PRIMARY KEY, epoch TEXT NOT NULL, seq INTEGER NOT NULL) STRICT");
    db.run(
      "CREATE TABLE IF NOT EXISTS entries (channel TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, " +
        "source TEXT NOT NULL, time INTEGER NOT NULL, id TEXT, tail TEXT NOT NULL, PRIMARY KEY (channel, seq)) WITHOUT ROWID, STRICT",
    );
    // Idempotent publishing looks ids up; the index lives and dies with the rows, so it is bounded by the history.
    // Column `id` holds only ids the publisher chose (NULL when the server made one up, which the frame in `tail`
    // still carries): indexing random UUIDs cost a batch of 100 half again its time (bench history, 5.1 → 7.9
    // µs/event). Files written before keep server-made ids in the column: still findable, aged out with the rows.
    db.run("CREATE INDEX IF NOT EXISTS entries_by_id ON entries (channel, id) WHERE id IS NOT NULL");
  } catch (err) {
    db.close();
    const busy = /locked|busy/i.test(messageOf(err));
    throw new DataDirError(
      busy
        ? `the history database ${path} (${setting}) is in use by another stream-server; stop it, or give this one another directory`
        : `cannot use the history database ${path} (${setting}): ${messageOf(err)}`,
    );
  }

  const selectStream = db.query<{ epoch: string; seq: number }, [string]>("SELECT epoch, seq FROM streams WHERE channel = ?");
  const insertStream = db.query("INSERT INTO streams (channel, epoch, seq) VALUES (?, ?, 0)");
  const updateSeq = db.query("UPDATE streams SET seq = ? WHERE channel = ?");
  const insertEntry = db.query("INSERT INTO entries (channel, seq, kind, key, source, time, id, tail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const evictUpTo = db.query("DELETE FROM entries WHERE channel = ? AND seq <= ?");
  const evictBefore = db.query("DELETE FROM entries WHERE channel = ? AND time < ?");
  const selectAfter = db.query<Row, [string, number, number, number]>(
    "SELECT seq, kind, key, source, time, id, tail FROM entries WHERE channel = ? AND seq > ? AND time >= ? ORDER BY seq LIMIT ?",
  );
  const selectById = db.query<Row, [string, string, number]>(
    "SELECT seq, kind, key, source, time, id, tail FROM entries WHERE channel = ? AND id = ? AND time >= ? ORDER BY seq LIMIT 1",
  );
  const selectFirst = db.query<{ first: number | null }, [string, number]>("SELECT min(seq) AS first FROM entries WHERE channel = ? AND time >= ?");
  const selectLast = db.query<{ last: number | null }, [string]>("SELECT max(seq) AS last FROM entries WHERE channel = ?");
  const selectFrom = db.query<{ seq: number; time: number }, [string, number]>(
    "SELECT seq, time FROM entries WHERE channel = ? AND seq >= ? ORDER BY seq LIMIT 1",
  );

  /** Per channel: a steady stream on one channel must not hold back age pruning of the other. */
  const lastPrune = new Map<Channel, number>();
  const append = db.transaction((channel: Channel, entries: Entry[]) => {
    for (const e of entries) insertEntry.run(channel, e.seq, e.kind, e.key, e.source, e.time, e.id ?? null, tailOf(e));
    const last = entries[entries.length - 1]!.seq;
    updateSeq.run(last, channel);
    if (last > historySize) evictUpTo.run(channel, last - historySize);
    const now = entries[entries.length - 1]!.time; // accept time of this publish: no clock read of our own
    if (historyMaxAgeMs !== undefined && now - (lastPrune.get(channel) ?? 0) > PRUNE_EVERY_MS) {
      evictBefore.run(channel, now - historyMaxAgeMs);
      lastPrune.set(channel, now);
    }
  });
  const oldestKept = (now: number) => (historyMaxAgeMs === undefined ? 0 : now - historyMaxAgeMs);

  return {
    load(channel) {
      const row = selectStream.get(channel);
      if (row) {
        if (row.seq > historySize) evictUpTo.run(channel, row.seq - historySize); // --history-size may have shrunk
        return { epoch: row.epoch, seq: row.seq } satisfies StreamPosition;
      }
      const epoch = newEpoch();
      insertStream.run(channel, epoch);
      return { epoch, seq: 0 };
    },
    append(channel, entries) {
      if (entries.length > 0) append(channel, entries);
    },
    read(channel, since, limit, now) {
      const after = oldestKept(now);
      const rows = selectAfter.all(channel, since, after, Number.isFinite(limit) ? limit : -1);
      return { entries: rows.map(entryOf), firstSeq: selectFirst.get(channel, after)?.first ?? 0 };
    },
    byId(channel, id, now) {
      const row = selectById.get(channel, id, oldestKept(now));
      return row ? entryOf(row) : undefined;
    },
    seek(channel, time, now) {
      const after = oldestKept(now);
      const firstSeq = selectFirst.get(channel, after)?.first ?? 0;
      if (firstSeq === 0) return { seq: undefined, firstSeq, keptSince: after };
      // Accept times grow with seqs: a binary search by primary-key lookups (about 20 for a million entries)
      // rather than an index on time, which every publish would pay for.
      const want = Math.max(time, after);
      let lo = firstSeq;
      let hi = (selectLast.get(channel)?.last ?? 0) + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const row = selectFrom.get(channel, mid)!;
        if (row.time < want) lo = row.seq + 1;
        else hi = mid;
      }
      return { seq: selectFrom.get(channel, lo)?.seq, firstSeq, keptSince: after };
    },
    close() {
      db.close();
    },
  };
}
