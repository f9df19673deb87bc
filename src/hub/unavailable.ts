/**
 * The broker cannot store anything right now (Redis unreachable). Publishers get 503 with this message:
 * nothing was stored, and retrying later is the remedy.
 */
export class BrokerUnavailableError extends Error {
  override name = "BrokerUnavailableError";
}

/** Whether the broker is fit to accept publishes, and if not, why (shown by /api/health). */
export type BrokerHealth = { ok: true } | { ok: false; reason: string };
