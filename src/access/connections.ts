import { WS_PATHS } from "../protocol/endpoints.ts";

/** Counts open WebSocket connections per path (plain state, read by health and metrics). */
export interface Connections {
  opened(path: string): number;
  closed(path: string): number;
  /** Open connections per path. */
  byPath(): Record<string, number>;
  total(): number;
}

/** Creates a counter with every WebSocket path at zero. */
export function createConnections(): Connections {
  const counts = new Map<string, number>(WS_PATHS.map((p) => [p, 0]));
  let total = 0;
  return {
    opened(path) {
      counts.set(path, (counts.get(path) ?? 0) + 1);
      return ++total;
    },
    closed(path) {
      counts.set(path, Math.max(0, (counts.get(path) ?? 0) - 1));
      total = Math.max(0, total - 1);
      return total;
    },
    byPath: () => Object.fromEntries(counts),
    total: () => total,
  };
}
