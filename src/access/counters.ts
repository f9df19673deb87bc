/**
 * How often the server refused or cut off a client, by reason. A plain object so that health, metrics
 * and tests read it without an API; each guard increments its own field. A type, not an interface, so
 * that it is a `Record<string, number>` to the metrics, which list every field without knowing them.
 */
export type Refusals = {
  /** Requests and upgrades without a token where one is required (401). */
  unauthorized: number;
  /** Requests and upgrades with a wrong token (403). */
  forbidden: number;
  /** WebSocket upgrades from a browser origin not on --cors-origin (403). */
  forbiddenOrigin: number;
  /** WebSocket upgrades refused by --max-connections or --max-connections-per-address (503 / 1013). */
  connectionLimit: number;
  /** Publishes refused by --publish-rate (429). */
  rateLimited: number;
  /** WebSocket clients closed because they fell more than --max-buffered-bytes behind (1013). */
  slowConsumers: number;
  /** WebSocket clients closed for sending a frame over --max-frame-bytes (1009). */
  oversizeFrames: number;
  /** WebSocket clients closed for sending more than --max-inbound-frames or --max-inbound-bytes (1008). */
  inboundLimit: number;
  /** JSON Web Tokens that failed verification (expired, wrongly signed, malformed…; also counted as unauthorized). */
  invalidTokens: number;
  /** WebSocket connections closed because their token expired unrefreshed. */
  expiredTokens: number;
};

/** All counters at zero. */
export function createRefusals(): Refusals {
  return { unauthorized: 0, forbidden: 0, forbiddenOrigin: 0, connectionLimit: 0, rateLimited: 0, slowConsumers: 0, oversizeFrames: 0, inboundLimit: 0, invalidTokens: 0, expiredTokens: 0 };
}
