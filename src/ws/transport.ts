import type { Config } from "../config.ts";

/** The settings Bun's socket limits come from. */
export type TransportSettings = Pick<Config, "maxFrameBytes" | "maxBufferedBytes" | "maxBodyBytes" | "idleTimeout" | "compression">;

/**
 * `--compression on`: permessage-deflate, negotiated per client (one that does not offer it gets plain frames).
 * Bun compresses once per socket, never once per published frame, whichever compressor: "shared" only
 * shares the zlib state, reset after every message. So the choice is about bytes and memory: a ~230-byte
 * event frame compressed alone shrinks by ~20 %; with a window over the frames before it (a per-socket
 * "dedicated" compressor), by ~75 % (logs ~85 %), and a 512-byte window ("3KB", the smallest) already gets
 * nearly all of it, since the keys it finds again are in the last frame or two. See bench/NOTES.md (2026-12-03).
 * Inbound frames use the shared decompressor: publishers' frames are few, and it holds no memory per socket.
 * maxPayloadLength caps the inflated size too: a small compressed frame that inflates past it gets 1009.
 */
const PER_MESSAGE_DEFLATE = { compress: "3KB", decompress: "shared" } as const;

/**
 * Bun's per-socket limits, from the config. Heartbeats: Bun pings a client shortly before
 * `idleTimeout` runs out and closes it if nothing (not even the pong) comes back in time.
 * The backpressure cap is a backstop above what the slow-consumer watchdog lets through (the limit, half
 * a limit between sweeps, and one frame): the watchdog closes politely (1013) first; this cuts off (1006).
 */
export function socketOptions(config: TransportSettings) {
  return {
    maxPayloadLength: config.maxFrameBytes,
    backpressureLimit: Math.min(2 * config.maxBufferedBytes + 2 * config.maxBodyBytes, 2 ** 32 - 1),
    closeOnBackpressureLimit: true,
    idleTimeout: config.idleTimeout,
    sendPings: true,
    perMessageDeflate: config.compression === "on" ? PER_MESSAGE_DEFLATE : false,
  };
}

/** With `--idle-timeout 0` a slow client still gets a bound: the default idle timeout. */
const DRAIN_SECONDS_WITHOUT_IDLE_TIMEOUT = 60;

/**
 * How long a client found too slow may read nothing of its queue before it is cut off. The watchdog pauses it,
 * which suspends Bun's idle timeout, so this takes its place, with the same value (Bun counts 1–7 as 8).
 */
export function slowDrainSeconds(config: Pick<Config, "idleTimeout">): number {
  return config.idleTimeout === 0 ? DRAIN_SECONDS_WITHOUT_IDLE_TIMEOUT : Math.max(8, config.idleTimeout);
}
