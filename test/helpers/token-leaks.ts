import type { Config } from "../../src/config.ts";

/**
 * A test fails when a server wrote one of its configured tokens anywhere in its output (see
 * test/setup.ts): logs reach stdout and the `logs` channel, which every subscriber may read.
 */

interface Watched {
  tokens: readonly string[];
  /** Output written since the last call, one entry per line. */
  fresh(): string[];
}

const watched: Watched[] = [];

/**
 * Every token a config holds, however it was given (repeated flags, --flag=value, environment), the
 * --redis URL's password and the --jwt-secret. Tokens a test mints are watched with `watchMinted`.
 */
export function configuredTokens(config: Config): string[] {
  return [...config.publishToken, ...config.subscribeToken, config.metricsToken, redisPassword(config.redis), config.jwtSecret].filter(Boolean);
}

/**
 * JSON Web Tokens a test minted: any server's output that holds one (or its signature alone, the part
 * that makes it a credential) fails the test like a configured token.
 */
const minted: string[] = [];

/** Adds a minted token to every server's watch list. */
export function watchMinted(token: string): string {
  const signature = token.split(".")[2];
  minted.push(token, ...(signature && signature.length >= 16 ? [signature] : []));
  return token;
}

/** The password in a Redis URL, as Redis gets it (decoded); "" when there is none. */
function redisPassword(url: string | undefined): string {
  try {
    return url ? decodeURIComponent(new URL(url).password) : "";
  } catch {
    return "";
  }
}

/** Checks a server's output for its `tokens` after every test; `fresh` returns the lines written since it was last asked. */
export function watchForTokens(tokens: readonly string[], fresh: () => string[]): void {
  if (tokens.length > 0) watched.push({ tokens, fresh });
}

/** Lines written since the last call that hold a configured token, as written or JSON-escaped. */
export function newTokenLeaks(): string[] {
  const out: string[] = [];
  for (const { tokens, fresh } of watched) {
    for (const line of fresh()) {
      const found = [...tokens, ...minted].filter((t) => line.includes(t) || line.includes(JSON.stringify(t).slice(1, -1)));
      if (found.length > 0) out.push(`${found.join(", ")} in ${line}`);
    }
  }
  return out;
}
