import type { Grant } from "./grant.ts";
import type { JwtVerdict } from "./jwt.ts";
import type { TokenVerdict } from "./tokens.ts";

/**
 * Who is publishing, as an edge resolved it from the credential it was shown: over HTTP per request,
 * over a WebSocket at the upgrade (and again at a refresh frame). Runtime-neutral, so the publish
 * pipeline decides the same way for both.
 */
export interface Publisher {
  /** What its credential allows: "open" (no publish credential configured) or "ok" may publish; "missing" and "wrong" may not. */
  readonly credential: TokenVerdict;
  /** Its key for --publish-rate: which configured token, a JSON Web Token's sub, or its address; never a token's text. Asked only when a rate is set. */
  key(): string;
  /** A JSON Web Token's grant: the types it may publish, checked per item; absent for static tokens (everything). */
  readonly grant?: Grant;
  /** A JSON Web Token that failed verification: why (its refusal is a 401 naming the reason). */
  readonly verdict?: JwtVerdict & { ok: false };
}
