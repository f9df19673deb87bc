import { RedisClient } from "bun";
import type { Logger } from "../../log/logger.ts";
import { BrokerUnavailableError } from "../unavailable.ts";
import { messageOf } from "../../error-text.ts";
import { within } from "../within.ts";
import { tryHandshake } from "./handshake.ts";
import type { RedisRefusedError } from "./refusal.ts";

/**
 * One Redis connection that heals itself. Bun's client gives up after a few retries and never
 * resubscribes or resumes blocking reads, so reconnecting is done here, with backoff, and whoever
 * owns the connection waits for it (`whenUp`) so that it can pick up where it left off.
 */
export interface RedisLink {
  /**
   * Sends a command; a lost connection becomes a BrokerUnavailableError (and starts reconnecting), and so
   * does a command left unanswered past the link's timeout (Redis stalled, or the network silently dropped).
   */
  send(command: string, args: string[]): Promise<any>;
  /** Why it is down (for /api/health), or undefined when up. */
  downReason(): string | undefined;
  /**
   * Resolves once the connection is up (immediately if it is); rejects once closed, or with a
   * RedisRefusedError when Redis refused the very first connection (wrong password, no such database).
   */
  whenUp(): Promise<void>;
  close(): void;
}

export interface RedisLinkOptions {
  url: string;
  /** What this connection is for, in log lines: "publish", "stream reader". */
  role: string;
  logger: Logger;
  /**
   * Longest wait for an answer (ms); unset waits as long as the connection lives (a blocking read).
   * While a command is overdue, further commands fail at once rather than queue behind it.
   */
  timeoutMs?: number;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;
/** Longest wait for a connection and its handshake. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Opens a connection to `url` and keeps it open until close(). */
export function createRedisLink({ url, role, logger, timeoutMs }: RedisLinkOptions): RedisLink {
  const where = redactUrl(url);
  // Our own reconnect loop replaces Bun's: an offline queue would hold publishes we must refuse (503).
  const client = new RedisClient(url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: CONNECT_TIMEOUT_MS });
  let isUp = false;
  let closed = false;
  let connecting = false;
  let reason: string | undefined = `connecting to Redis at ${where}`;
  let waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  let everUp = false;
  /** Set when Redis refused before ever accepting us: nothing will change that but a new configuration. */
  let refused: RedisRefusedError | undefined;
  /** Commands still unanswered past the timeout; Redis answers in order, so any answer ends the stall. */
  let overdue = 0;
  const stallReason = () => `Redis at ${where} did not answer within ${timeoutMs} ms`;

  /** Counts `answer` as overdue until it settles; the error for the publisher, who must not assume nothing was stored. */
  const overdueAnswer = (answer: Promise<unknown>, command: string) => {
    if (overdue++ === 0) logger.warn(`${stallReason()} on the ${role} connection; refusing publishes until it does`, { redis: where, command });
    void answer
      .finally(() => {
        if (--overdue === 0 && isUp) logger.info(`Redis answers the ${role} connection again`, { redis: where });
      })
      .catch(() => {}); // its failure, if any, is the connection's: onclose handles that
    return new BrokerUnavailableError(stallReason(), { uncertain: true });
  };

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
      const handshake = await tryHandshake(url, where, CONNECT_TIMEOUT_MS);
      if (closed) break;
      if (!handshake.ok && "refused" in handshake && !everUp) {
        // Not logged here: whoever awaits whenUp() reports it, once (at start-up: the exit message).
        refused = handshake.refused;
        reason = refused.message;
        settle((w) => w.reject(handshake.refused));
        break;
      }
      try {
        // Refused (the link was up once: an operator may be fixing it) or silent (Bun's connect would wait as
        // long again): this attempt is over, and the handshake's words say why, not Bun's "Connection closed".
        if (!handshake.ok && ("refused" in handshake || handshake.silent)) throw new Error("handshake failed");
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
        reason = !handshake.ok && "refused" in handshake
          ? handshake.refused.message
          : `${everUp ? "cannot reach" : "waiting for"} Redis at ${where} (${handshake.ok ? messageOf(err) : handshake.failure})`;
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
      if (overdue > 0) throw new BrokerUnavailableError(`${stallReason()} and has not answered since`);
      try {
        const answer = client.send(command, args);
        if (timeoutMs !== undefined && !(await within(answer, timeoutMs))) throw overdueAnswer(answer, command);
        return await answer;
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_REDIS_CONNECTION_CLOSED") throw err;
        markDown(err);
        throw new BrokerUnavailableError(`lost the connection to Redis at ${where} (${messageOf(err)})`);
      }
    },
    downReason: () => (!isUp ? reason : overdue > 0 ? stallReason() : undefined),
    whenUp() {
      if (refused) return Promise.reject(refused);
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
