import { createHash, timingSafeEqual } from "node:crypto";

/** The verdict on a presented token: no tokens configured, accepted, absent, or not one of ours. */
export type TokenVerdict = "open" | "ok" | "missing" | "wrong";

/** Checks presented tokens against a configured list in constant time. */
export interface TokenCheck {
  /** True when no token is configured: everyone is let in. */
  readonly open: boolean;
  check(presented: string | undefined): TokenVerdict;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Creates a checker for `tokens`. Both sides are hashed first so the comparison always runs over
 * 32 equal-length bytes: neither the content nor the length of a token leaks through timing.
 */
export function createTokenCheck(tokens: readonly string[]): TokenCheck {
  const digests = tokens.map(digest);
  return {
    open: digests.length === 0,
    check(presented) {
      if (digests.length === 0) return "open";
      if (!presented) return "missing";
      const candidate = digest(presented);
      let match = false;
      // Compare against every token, without stopping early, so the position of a match leaks nothing either.
      for (const d of digests) match = timingSafeEqual(d, candidate) || match;
      return match ? "ok" : "wrong";
    },
  };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The token a request carries: `Authorization: Bearer …`, or `?token=` where `fromQuery` allows it
 * (browsers cannot set headers on a WebSocket or an EventSource).
 */
export function presentedToken(req: Request, url: URL, fromQuery: boolean): string | undefined {
  // A header in another scheme (Basic …) carries no bearer token: the answer is 401, which names the scheme.
  const bearer = BEARER.exec(req.headers.get("authorization") ?? "")?.[1];
  if (bearer) return bearer;
  if (fromQuery) return url.searchParams.get("token") || undefined;
  return undefined;
}
