import type { TokenVerdict } from "./tokens.ts";

/**
 * Who is publishing, as an edge resolved it from the credential it was shown: over HTTP per request,
 * over a WebSocket once at the upgrade (a connection cannot show another token later). Runtime-neutral,
 * so the publish pipeline decides the same way for both. A JWT identity slots in here: its `sub` as the
 * key, and publish patterns the pipeline checks per item once the items are valid.
 */
export interface Publisher {
  /** What its credential allows: "open" (no publish token configured) or "ok" may publish; "missing" and "wrong" may not. */
  readonly credential: TokenVerdict;
  /** Its key for --publish-rate: which configured token, or its address; never a token's text. Asked only when a rate is set. */
  key(): string;
}
