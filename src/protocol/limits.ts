/** Input limits shared by every way in (HTTP and WebSocket). Configurable ones have a flag in config.ts. */
export interface Limits {
  /** Largest accepted HTTP request body, in bytes. */
  maxBodyBytes: number;
  /** Most items in one publish batch. */
  maxBatch: number;
  /** Longest event `type`, log `source` or event `source`, in characters. */
  maxNameLength: number;
  /** Deepest nesting of objects and arrays in event `data` and log `fields`. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 1000,
  maxNameLength: 256,
  maxDepth: 32,
};
