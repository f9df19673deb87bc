import { createHash, timingSafeEqual } from "node:crypto";

/** The verdict on a presented token: no tokens configured, accepted, absent, or not one of ours. */
export type TokenVerdict = "open" | "ok" | "missing" | "wrong";

/** Checks presented tokens against a configured list in constant time. */
export interface TokenCheck {
  /** True when no token is configured: everyone is let in. */
  readonly open: boolean;
  check(presented: string | undefined): TokenVerdict;
  /** Which configured token this is (its position in the list), or undefined for none of them. */
  identify(presented: string | undefined): number | undefined;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Creates a checker for `tokens`. Both sides are hashed first so the comparison always runs over
 * 32 equal-length bytes: neither the content nor the length of a token leaks through timing.
 */
export function createTokenCheck(tokens: readonly string[]): TokenCheck {
  const digests = tokens.map(digest);
  const identify = (presented: string | undefined) => {
    if (digests.length === 0 || !presented) return undefined;
    const candidate = digest(presented);
    let found: number | undefined;
    // Compare against every token, without stopping early, so the position of a match leaks nothing either.
    for (let i = 0; i < digests.length; i++) if (timingSafeEqual(digests[i]!, candidate)) found ??= i;
    return found;
  };
  return {
    open: digests.length === 0,
    check(presented) {
      if (digests.length === 0) return "open";
      if (!presented) return "missing";
      return identify(presented) === undefined ? "wrong" : "ok";
    },
    identify,
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
