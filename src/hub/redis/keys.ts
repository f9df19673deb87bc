import type { Channel } from "../channels.ts";

/** The Redis keys behind one channel. */
export interface ChannelKeys {
  /** The Redis Stream: one entry per envelope, entry id `<seq>-0`. */
  stream: string;
  /** The channel's last assigned seq (INCRBY in the publish script). */
  seq: string;
  /** Names this lifetime of the stream; a new value means Redis lost the data. */
  epoch: string;
  /** Sorted set id → seq of the entries the stream holds: idempotent publishing, trimmed with the stream. */
  ids: string;
}

/**
 * Builds every Redis key name, under the configured prefix (`--redis-prefix`); no other file spells one.
 * The `{channel}` hash tag keeps one channel's keys in one Redis Cluster slot, as its scripts require.
 */
export function redisKeys(prefix: string, channel: Channel): ChannelKeys {
  const base = `${prefix}{${channel}}`;
  return { stream: `${base}:stream`, seq: `${base}:seq`, epoch: `${base}:epoch`, ids: `${base}:ids` };
}
