/**
 * A token for the stream: a fixed one, or a function that gets a fresh one. The function is called before
 * every connection, and again before the connection's JSON Web Token expires, so a long-lived page or
 * script keeps reading without being closed at the token's expiry (close code 4001).
 */
export type TokenSource = string | (() => string | Promise<string>);

/** The time (ms since 1970) a JSON Web Token expires, read from its payload; undefined for other tokens or none. */
export function expiryOf(token: string | undefined): number | undefined {
  const payload = token?.split(".")[1];
  if (token?.split(".").length !== 3 || !payload) return undefined;
  try {
    // Read, not verified: the client only plans when to ask for a fresh token; the server verifies.
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const exp = (JSON.parse(atob(base64)) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The longest delay a timer takes (about 24.8 days); a longer one fires at once, in browsers, Node and Bun alike. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long to wait before refreshing a token that expires at `expiresAt`: a minute before, or at 80 % of
 * what is left for a short-lived one, so the fresh token reaches the server well before the old one ends.
 * A token valid for longer than a timer can wait is refreshed early, at the longest wait.
 */
export function refreshDelay(expiresAt: number, now: number): number {
  const left = expiresAt - now;
  return Math.min(MAX_TIMER_MS, Math.max(0, left - 60_000, left * 0.8));
}
