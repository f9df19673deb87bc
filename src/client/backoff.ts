/** How long to wait between reconnects: exponential, capped, with jitter so clients do not return in step. */
export interface Backoff {
  /** The first wait (default 500 ms). */
  initialMs?: number;
  /** The longest wait (default 30 s). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Fraction of each wait drawn at random, 0–1 (default 0.5: a wait of 2 s becomes 1–2 s). */
  jitter?: number;
}

/** The wait before reconnect attempt `attempt` (0 = the first after a drop); `random` returns [0, 1). */
export function backoffDelay(attempt: number, backoff: Backoff = {}, random: () => number = Math.random): number {
  const { initialMs = 500, maxMs = 30_000, factor = 2, jitter = 0.5 } = backoff;
  const base = Math.min(maxMs, initialMs * factor ** Math.min(attempt, 64));
  return Math.round(base * (1 - Math.min(1, Math.max(0, jitter)) * random()));
}
