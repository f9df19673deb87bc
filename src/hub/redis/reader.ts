import type { Logger } from "../../log/logger.ts";
import { newEpoch, type Deliver, type StreamPosition } from "../broker.ts";
import { CHANNELS, type Channel } from "../channels.ts";
import type { Entry } from "../envelope.ts";
import type { ChannelKeys } from "./keys.ts";
import type { RedisLink } from "./link.ts";
import { readPosition } from "./scripts.ts";
import { decodeEntry, type RawEntry } from "./stream-entry.ts";
import { BrokerUnavailableError } from "../unavailable.ts";
import { RedisRefusedError } from "./refusal.ts";

/**
 * Follows every channel's Redis Stream on a dedicated connection (`XREAD BLOCK`) and hands each new
 * entry, in order, to local fan-out. It keeps its own place — the last id it delivered — so after a
 * reconnect it continues exactly there: no loss, no duplicate. It also watches the epoch, so a Redis
 * that lost its data is noticed and followed from the new stream's start.
 */
export interface StreamReader {
  /** The epoch and last delivered seq of a channel ("" and 0 until first read from Redis). */
  position(channel: Channel): StreamPosition;
  /** Resolves once every channel's position has been read from Redis; rejects if Redis refused the first connection. */
  ready: Promise<void>;
  close(): void;
}

export interface StreamReaderOptions {
  link: RedisLink;
  keys: (channel: Channel) => ChannelKeys;
  deliver: Deliver;
  logger: Logger;
  /** How long one XREAD waits for new entries (ms); when idle, epochs are re-checked this often. */
  blockMs?: number;
  /** Called when a channel's epoch changed (Redis lost the stream), before the new stream is delivered. */
  onRecreated?: (channel: Channel, epoch: string) => void;
}

const BATCH = 1000;

/** Starts following the streams from their current end. */
export function createStreamReader({ link, keys, deliver, logger, blockMs = 1000, onRecreated }: StreamReaderOptions): StreamReader {
  const places = new Map<Channel, StreamPosition>();
  const byKey = new Map(CHANNELS.map((c) => [keys(c).stream, c]));
  const streamKeys = CHANNELS.map((c) => keys(c).stream);
  let closed = false;
  let needSync = true;
  let markReady!: () => void;
  let refuse!: (err: RedisRefusedError) => void;
  const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (refuse = reject)));
  void ready.catch(() => {}); // the broker's ready() reports it; nobody awaiting it is no crash

  /** Reads every channel's epoch: the first time, to start at the end; later, to notice lost data. */
  const sync = async () => {
    for (const channel of CHANNELS) {
      const now = await readPosition(link, keys(channel), newEpoch());
      const known = places.get(channel);
      if (!known) {
        places.set(channel, now);
      } else if (known.epoch !== now.epoch) {
        logger.warn(`Redis lost the ${channel} stream (epoch ${known.epoch} is gone, now ${now.epoch}); following the new stream from its start`, {
          lastDelivered: known.seq,
          hint: "run Redis with persistence (appendonly yes) so that a restart keeps the streams; subscribers are closed (1012) and get a reset when they resume",
        });
        places.set(channel, { epoch: now.epoch, seq: 0 });
        onRecreated?.(channel, now.epoch);
      }
    }
  };

  const take = (channel: Channel, raw: RawEntry[]) => {
    const place = places.get(channel)!;
    const out: Entry[] = [];
    for (const r of raw) {
      const { entry, epoch } = decodeEntry(r);
      if (epoch !== place.epoch) {
        needSync = true; // written in another lifetime of the stream: re-read the epoch before going on
        break;
      }
      if (entry.seq <= place.seq) continue;
      if (entry.seq > place.seq + 1 && place.seq > 0) {
        logger.warn(`the ${channel} stream was trimmed past this instance's place: seqs ${place.seq + 1}–${entry.seq - 1} were never delivered here`, {
          hint: "raise --history-size, or give this instance more CPU",
        });
      }
      out.push(entry);
      place.seq = entry.seq;
    }
    if (out.length) deliver(channel, out);
  };

  const loop = async () => {
    while (!closed) {
      try {
        await link.whenUp();
        if (needSync) {
          await sync();
          needSync = false;
          markReady();
        }
        const ids = CHANNELS.map((c) => `${places.get(c)!.seq}-0`);
        const reply = await link.send("XREAD", ["COUNT", String(BATCH), "BLOCK", String(blockMs), "STREAMS", ...streamKeys, ...ids]);
        if (!reply) {
          needSync = true; // idle: a good moment to check that Redis still has our epoch
          continue;
        }
        const pairs: [string, RawEntry[]][] = Array.isArray(reply) ? reply : Object.entries(reply);
        for (const [key, raw] of pairs) {
          const channel = byKey.get(key);
          if (channel) take(channel, raw);
        }
      } catch (err) {
        if (closed) return;
        needSync = true;
        if (err instanceof BrokerUnavailableError) continue; // the link reconnects; whenUp() waits for it
        if (err instanceof RedisRefusedError) return refuse(err); // retrying cannot help: the configuration must change
        logger.error("reading the Redis streams failed; retrying in 1s", { error: err });
        await Bun.sleep(1000);
      }
    }
  };
  void loop();

  return {
    position: (channel) => ({ ...(places.get(channel) ?? { epoch: "", seq: 0 }) }),
    ready,
    close() {
      closed = true;
      link.close();
    },
  };
}
