import type { Config } from "../config.ts";

/** The settings Bun's socket limits come from. */
export type TransportSettings = Pick<Config, "maxFrameBytes" | "maxBufferedBytes" | "maxBodyBytes" | "idleTimeout" | "compression">;

/**
 * `--compression on`: permessage-deflate, negotiated per client (one that does not offer it gets plain frames).
 * Bun compresses once per socket, never once per published frame, whichever compressor: "shared" only
 * shares the zlib state and resets it after every message, so each ~240-byte event frame is compressed
 * alone and shrinks by a quarter, for ~11 µs of CPU per delivery. A per-socket ("dedicated") compressor keeps
 * a window over the frames before, where the keys every frame repeats are found again: 4.4× fewer bytes
 * (logs ~10×) for ~4.3 µs (0.3 µs uncompressed). Of those, "16KB" measured ~30 % less CPU per delivery than
 * "3KB" and 14 % fewer bytes, for 153 KB of RSS per compressing client against 149 (most of it zlib's
 * state whatever the window). `bun run bench compression`; bench/NOTES.md (2026-12-03).
 * Inbound frames use the shared decompressor: publishers' frames are few, and it holds no memory per socket.
 * maxPayloadLength caps the inflated size too: a small compressed frame that inflates past it gets 1009.
 */
const PER_MESSAGE_DEFLATE = { compress: "16KB", decompress: "shared" } as const;

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
