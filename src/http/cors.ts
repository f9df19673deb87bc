/** The browser origins that may read answers (--cors-origin), as Hono's cors middleware takes them. */
export function corsOrigins(configured: readonly string[]): "*" | string[] {
  return configured.includes("*") ? "*" : [...configured];
}

/**
 * The CORS headers of an answer outside Hono (the publish endpoint), matching what Hono's cors
 * middleware sets on the other routes: the allowed origin, and `Vary: Origin` when it depends on it.
 */
export function corsHeaders(origins: "*" | readonly string[], origin: string | null): Record<string, string> {
  if (origins === "*") return ANY_ORIGIN;
  const vary = { vary: "Origin" };
  return origin !== null && origins.includes(origin) ? { ...vary, "access-control-allow-origin": origin } : vary;
}

const ANY_ORIGIN: Record<string, string> = { "access-control-allow-origin": "*" };
