/**
 * What one WebSocket client may send: frames and bytes per second, with a burst. Every frame counts,
 * whatever its kind (a ping or a frame the server cannot parse costs it as much work as a publish), so
 * that one client flooding the server cannot starve the others. Pure: time comes in as `now` (ms), and
 * each connection holds its own small state, so spending is two subtractions and no lookup.
 */
export interface InboundBudget {
  /** False when both rates are 0: callers may skip the clock. */
  readonly enabled: boolean;
  /** A full allowance for a new connection opened at `now`. */
  fresh(now: number): Allowance;
  /** Spends one frame of `bytes` from `allowance`; false once the client is over its budget. */
  spend(allowance: Allowance, bytes: number, now: number): boolean;
  /** One sentence for the client and the log: what the budget is and what to do. */
  readonly describe: string;
}

/** One connection's remaining frames and bytes, as of `at`. */
export interface Allowance {
  frames: number;
  bytes: number;
  at: number;
}

export interface InboundBudgetOptions {
  /** Frames per second; 0 = no frame limit. */
  framesPerSecond: number;
  /** Bytes per second; 0 = no byte limit. */
  bytesPerSecond: number;
  /** How many seconds' worth may be sent at once. */
  burstSeconds: number;
  /** The largest frame a client may send: the byte allowance always holds at least one. */
  maxFrameBytes: number;
}

/** Creates the budget every connection draws on. */
export function createInboundBudget({ framesPerSecond, bytesPerSecond, burstSeconds, maxFrameBytes }: InboundBudgetOptions): InboundBudget {
  const frameCap = framesPerSecond > 0 ? framesPerSecond * burstSeconds : Infinity;
  const byteCap = bytesPerSecond > 0 ? Math.max(bytesPerSecond * burstSeconds, maxFrameBytes) : Infinity;
  const framesPerMs = framesPerSecond / 1000;
  const bytesPerMs = bytesPerSecond / 1000;
  const limits = [
    framesPerSecond > 0 && `${framesPerSecond} frames`,
    bytesPerSecond > 0 && `${bytesPerSecond} bytes`,
  ].filter(Boolean);
  return {
    enabled: limits.length > 0,
    fresh: (now) => ({ frames: frameCap, bytes: byteCap, at: now }),
    spend(a, bytes, now) {
      const elapsed = now - a.at;
      if (elapsed > 0) {
        a.frames = Math.min(frameCap, a.frames + elapsed * framesPerMs);
        a.bytes = Math.min(byteCap, a.bytes + elapsed * bytesPerMs);
        a.at = now;
      }
      a.frames -= 1;
      a.bytes -= bytes;
      return a.frames >= 0 && a.bytes >= 0;
    },
    describe:
      `this connection sent more than ${limits.join(" or ")} per second (bursts of ${burstSeconds} s; --max-inbound-frames, --max-inbound-bytes); ` +
      "it is closed and what it still had in flight is dropped: send less often, batch publishes, and reconnect",
  };
}
