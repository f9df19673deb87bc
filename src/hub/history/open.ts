import { createMemoryStore } from "./memory.ts";
import { openSqliteStore, type SqliteStoreOptions } from "./sqlite.ts";
import type { HistoryStore, Retention } from "./store.ts";

/** Durable history: the directory, how it syncs, and how the user named it (errors name it so). */
export type DataDir = Required<Pick<SqliteStoreOptions, "dir" | "sync" | "setting">>;

/** The durable-history settings (--data, --data-sync), or none: history in memory. */
export function dataDirOf(settings: { data: string | undefined; dataSync: DataDir["sync"]; names: { data: string } }): DataDir | undefined {
  return settings.data === undefined ? undefined : { dir: settings.data, sync: settings.dataSync, setting: settings.names.data };
}

/**
 * The store the settings ask for: SQLite in `data` when given (--data), else memory. Its own file so
 * that the store interface imports neither implementation.
 */
export function openHistoryStore(retention: Retention, data: DataDir | undefined): HistoryStore {
  return data === undefined ? createMemoryStore(retention) : openSqliteStore({ ...retention, ...data });
}
