/**
 * The broker cannot store anything right now (Redis unreachable, or not answering). Publishers get 503
 * with this message: nothing was stored, and retrying later is the remedy — unless `uncertain`.
 */
export class BrokerUnavailableError extends Error {
  override name = "BrokerUnavailableError";
  /**
   * True when the store may have done the work after all: the command was sent and no answer came in
   * time (Redis stalled). The publisher must not assume "nothing was stored".
   */
  readonly uncertain: boolean;
  constructor(message: string, { uncertain = false }: { uncertain?: boolean } = {}) {
    super(message);
    this.uncertain = uncertain;
  }
}

/** What a refused publish tells its publisher about what became of it. */
export function unstoredOutcome(err: BrokerUnavailableError): string {
  return err.uncertain
    ? "it may have been stored all the same: check GET /api/events?since= (or your subscribers) before publishing it again"
    : "nothing was stored, retry shortly";
}

/** Whether the broker is fit to accept publishes, and if not, why (shown by /api/health). */
export type BrokerHealth = { ok: true } | { ok: false; reason: string };
