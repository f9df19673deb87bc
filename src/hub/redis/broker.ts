import type { Logger } from "../../log/logger.ts";
import { newEpoch, type Broker, type Deliver } from "../broker.ts";
import type { Channel } from "../channels.ts";
import { redisKeys } from "./keys.ts";
import { groupAppends, type Append } from "./append-group.ts";
import { createRedisLink } from "./link.ts";
import { createStreamReader } from "./reader.ts";
import { appendDrafts, readById, readPage, seekTime } from "./scripts.ts";

export interface RedisBrokerOptions {
  /** redis:// or rediss:// URL (`--redis`). */
  url: string;
  /** Prefix of every key (`--redis-prefix`). */
  prefix: string;
  /** Longest wait for Redis to answer a publish or a history read (`--redis-timeout-ms`). */
  timeoutMs?: number;
  /** Entries of history promised per channel. */
  historySize: number;
  /** Entries older than this are dropped from history (ms); unset keeps them until trimmed by size. */
  historyMaxAgeMs?: number;
  /**
   * Extra entries each stream keeps beyond `historySize` (XADD MAXLEN ~ historySize + slack), so that an
   * instance whose reader falls briefly behind — or a batch larger than the history — still delivers
   * every entry before it is trimmed.
   */
  readerSlack?: number;
  deliver: Deliver;
  logger: Logger;
  /** Redis lost a channel's stream (a new epoch): local subscribers must be told. */
  onRecreated?: (channel: Channel, epoch: string) => void;
  /** Publishes that come while an append is in flight go to Redis together (see `groupAppends`); false only to measure without. */
  groupAppends?: boolean;
}

/** Most entries one history read asks Redis for. */
const MAX_PAGE = 10_000;
/** Most drafts one grouped append carries (a single publish larger than this still goes in one). */
const MAX_GROUP = 1000;

/**
 * The multi-instance broker: each channel is a Redis Stream whose entry ids are the seqs, so every
 * instance agrees on order and seq. Publishing only appends (one Lua script per batch); delivery to local
 * subscribers comes back through Redis, by the stream reader — for this instance's publishes too — so
 * every instance delivers the same entries in the same order.
 */
export function createRedisBroker(options: RedisBrokerOptions): Broker {
  const { url, prefix, timeoutMs, historySize, historyMaxAgeMs, readerSlack = 10_000, deliver, logger, onRecreated, groupAppends: grouped = true } = options;
  const keys = (channel: Channel) => redisKeys(prefix, channel);
  const cutoff = () => (historyMaxAgeMs ? Date.now() - historyMaxAgeMs : 0);
  const commands = createRedisLink({ url, role: "publish", logger, timeoutMs });
  // XREAD BLOCK holds its connection, so the reader gets one of its own.
  const readerLink = createRedisLink({ url, role: "stream reader", logger });
  const reader = createStreamReader({ link: readerLink, keys, deliver, logger, onRecreated });
  const append: Append = (channel, drafts) => appendDrafts(commands, keys(channel), drafts, historySize + readerSlack, newEpoch(), cutoff());
  const publish = grouped ? groupAppends(append, MAX_GROUP) : append;

  return {
    publish,
    byId: (channel, id) => readById(commands, keys(channel), id, cutoff()),
    async read(channel, since, limit) {
      const page = await readPage(commands, keys(channel), since, Math.max(1, Math.min(limit, MAX_PAGE)), cutoff());
      return { entries: page.entries, firstSeq: page.firstSeq, position: { epoch: page.epoch, seq: page.seq } };
    },
    async seek(channel, time) {
      const keptSince = cutoff();
      const { epoch, seq, firstSeq, found } = await seekTime(commands, keys(channel), time, keptSince);
      return { seq: found ?? seq + 1, firstSeq, keptSince, position: { epoch, seq } };
    },
    position: (channel) => reader.position(channel),
    health() {
      const reason =
        commands.downReason() ?? readerLink.downReason() ?? (reader.position("events").epoch ? undefined : "reading the Redis streams' positions");
      return reason ? { ok: false, reason } : { ok: true };
    },
    ready: async () => {
      await Promise.all([reader.ready, commands.whenUp()]);
    },
    async close() {
      reader.close();
      commands.close();
    },
  };
}
