import { createMemoryStore } from "./memory.ts";
import { openSqliteStore } from "./sqlite.ts";
import type { HistoryStore, Retention } from "./store.ts";

/**
 * The store the settings ask for: SQLite in `dataDir` when given (--data), else memory. Its own file so
 * that the store interface imports neither implementation.
 */
export function openHistoryStore(retention: Retention, dataDir: string | undefined, sync: "full" | "normal"): HistoryStore {
  return dataDir === undefined ? createMemoryStore(retention) : openSqliteStore({ ...retention, dir: dataDir, sync });
}
