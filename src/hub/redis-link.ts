import { RedisClient } from "bun";
import type { Logger } from "../log/logger.ts";
import { BrokerUnavailableError } from "./unavailable.ts";
import { messageOf } from "../error-text.ts";

/**
 * One Redis connection that heals itself. Bun's client gives up after a few retries and never
 * resubscribes or resumes blocking reads, so reconnecting is done here, with backoff, and whoever
 * owns the connection waits for it (`whenUp`) so that it can pick up where it left off.
 */
export interface RedisLink {
  /** Sends a command; a lost connection becomes a BrokerUnavailableError (and starts reconnecting). */
  send(command: string, args: string[]): Promise<any>;
  /** Why it is down (for /api/health), or undefined when up. */
  downReason(): string | undefined;
  /** Resolves once the connection is up (immediately if it is); rejects once closed. */
  whenUp(): Promise<void>;
  close(): void;
}

export interface RedisLinkOptions {
  url: string;
  /** What this connection is for, in log lines: "publish", "stream reader". */
  role: string;
  logger: Logger;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** Opens a connection to `url` and keeps it open until close(). */
export function createRedisLink({ url, role, logger }: RedisLinkOptions): RedisLink {
  const where = redactUrl(url);
  // Our own reconnect loop replaces Bun's: an offline queue would hold publishes we must refuse (503).
  const client = new RedisClient(url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 5_000 });
  let isUp = false;
  let closed = false;
  let connecting = false;
  let reason: string | undefined = `connecting to Redis at ${where}`;
  let waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  let everUp = false;

  const settle = (fn: (w: (typeof waiters)[number]) => void) => {
    const current = waiters;
    waiters = [];
    current.forEach(fn);
  };

  const markDown = (err: unknown) => {
    if (closed) return;
    const wasUp = isUp;
    isUp = false;
    reason = `cannot reach Redis at ${where} (${messageOf(err)})`;
    if (wasUp) logger.warn(`lost the ${role} connection to Redis; reconnecting`, { redis: where, error: messageOf(err) });
    void connectLoop();
  };

  const connectLoop = async () => {
    if (connecting || closed || isUp) return;
    connecting = true;
    let delay = FIRST_DELAY_MS;
    for (let attempt = 1; !closed; attempt++) {
      try {
        await client.connect();
        if (closed) break;
        isUp = true;
        reason = undefined;
        logger.info(everUp ? `${role} connection to Redis restored` : `${role} connection to Redis open`, { redis: where });
        everUp = true;
        settle((w) => w.resolve());
        break;
      } catch (err) {
        if (closed) break;
        reason = `${everUp ? "cannot reach" : "waiting for"} Redis at ${where} (${messageOf(err)})`;
        logger.warn(`${reason}; retrying in ${(delay / 1000).toFixed(1)}s`, { role, attempt });
        await Bun.sleep(delay);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
    connecting = false;
  };

  client.onclose = (err) => {
    if (isUp) markDown(err);
  };
  void connectLoop();

  return {
    async send(command, args) {
      if (!isUp) throw new BrokerUnavailableError(reason ?? `Redis at ${where} is unreachable`);
      try {
        return await client.send(command, args);
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_REDIS_CONNECTION_CLOSED") throw err;
        markDown(err);
        throw new BrokerUnavailableError(`lost the connection to Redis at ${where} (${messageOf(err)})`);
      }
    },
    downReason: () => (isUp ? undefined : reason),
    whenUp() {
      if (closed) return Promise.reject(new Error("Redis connection closed"));
      if (isUp) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close() {
      if (closed) return;
      closed = true;
      isUp = false;
      reason = "closed";
      settle((w) => w.reject(new Error("Redis connection closed")));
      client.close();
    },
  };
}

/** The URL without its password, fit for logs and health answers. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable Redis URL)";
  }
}
