/**
 * Redis answered, and said no: a wrong or missing password, a database it does not have. Waiting does not
 * fix that (the --redis URL or Redis's configuration must change), so a server that was never connected
 * stops with this message instead of retrying forever.
 */
export class RedisRefusedError extends Error {
  override name = "RedisRefusedError";
}

/** What the --redis URL asked for in its handshake, for the advice in the message. */
export interface HandshakeAsked {
  /** The URL with its password shown as *** (redactUrl). */
  where: string;
  /** Whether the URL carries a password. */
  password: boolean;
  db: number;
}

/** Where the fix goes, named the way a user sets it. */
const URL_SETTING = "the --redis URL (STREAM_REDIS_URL)";

/**
 * The refusal an error reply to AUTH / SELECT / PING means, or undefined for a reply that passes with time
 * (LOADING, BUSY, max clients reached, …): those keep being waited for, like an unreachable Redis.
 */
export function refusalOf(reply: string, asked: HandshakeAsked): RedisRefusedError | undefined {
  const code = reply.split(" ", 1)[0];
  const said = `Redis at ${asked.where} answered "${reply}"`;
  if (code === "WRONGPASS") {
    return new RedisRefusedError(`${said}: the user name or password is wrong; correct them in ${URL_SETTING}, as redis://:password@host:port (redis://user:password@host:port for an ACL user)`);
  }
  if (code === "NOAUTH") {
    const fix = asked.password ? "check the password in" : "the URL has none: add it to";
    return new RedisRefusedError(`${said}: Redis requires a password; ${fix} ${URL_SETTING}, as redis://:password@host:port`);
  }
  if (code === "ERR" && /\bDB index\b/i.test(reply)) {
    return new RedisRefusedError(`${said}: Redis has no database ${asked.db}; choose one it has at the end of ${URL_SETTING}, as redis://host:port/0 (Redis has 16, numbered 0-15, unless its "databases" setting says otherwise)`);
  }
  if (code === "NOPERM") {
    return new RedisRefusedError(`${said}: the Redis user lacks a permission; grant it with ACL SETUSER, or name another user in ${URL_SETTING}`);
  }
  if (code === "DENIED") {
    return new RedisRefusedError(`${said}: Redis refuses clients from this address; follow its advice above (usually: set a password on Redis and put it in ${URL_SETTING})`);
  }
  return undefined;
}
