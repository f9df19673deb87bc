import type { SocketHandler } from "bun";
import { messageOf } from "../../error-text.ts";
import { refusalOf, type HandshakeAsked, type RedisRefusedError } from "./refusal.ts";

/**
 * Bun's RedisClient reports every failed handshake as "Connection closed": a wrong password, a missing
 * one and a Redis that is down look the same, and a database index out of range surfaces only on the
 * first command. So before each connect the link asks Redis itself, on a short connection of its own,
 * the questions the URL implies (AUTH, SELECT, PING) and reads Redis's own answer.
 */

/**
 * What the handshake came to: fine, refused for good (fix the configuration), or failed for now (wait);
 * `silent` when nothing answered within the timeout, which a connect right after would sit through again.
 */
export type HandshakeOutcome = { ok: true } | { ok: false; refused: RedisRefusedError } | { ok: false; failure: string; silent?: boolean };

/** Where and how to connect, read from the URL the way Bun's client reads it. */
interface Target {
  address: { hostname: string; port: number } | { unix: string };
  tls: boolean;
  username: string;
  password: string;
  db: number;
}

/** Asks Redis at `url` what Bun's client would ask on connecting; gives up after `timeoutMs`. */
export async function tryHandshake(url: string, where: string, timeoutMs: number): Promise<HandshakeOutcome> {
  const target = targetOf(url);
  if (!target) return { ok: false, failure: "the URL could not be read" };
  const asked: HandshakeAsked = { where, password: target.password !== "", db: target.db };
  const commands = [
    ...(target.password ? [["AUTH", target.username || "default", target.password]] : []),
    ...(target.db ? [["SELECT", String(target.db)]] : []),
    ["PING"],
  ];
  return new Promise<HandshakeOutcome>((resolve) => {
    let done = false;
    let socket: { end(): void } | undefined;
    let pending = "";
    let answered = 0;
    const decoder = new TextDecoder();
    const finish = (outcome: HandshakeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.end();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, failure: `no answer within ${timeoutMs} ms`, silent: true }), timeoutMs);
    const fail = (err: unknown) => finish({ ok: false, failure: failureOf(err) });
    const handlers: SocketHandler = {
      open(s) {
        socket = s;
        s.write(commands.map(encode).join(""));
      },
      // Each answer to AUTH, SELECT and PING is one line: +OK, +PONG or -CODE message.
      data(_s, chunk) {
        pending += decoder.decode(chunk, { stream: true });
        for (let end = pending.indexOf("\r\n"); end >= 0 && !done; end = pending.indexOf("\r\n")) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (line.startsWith("-")) {
            const refused = refusalOf(line.slice(1), asked);
            finish(refused ? { ok: false, refused } : { ok: false, failure: `Redis answered "${line.slice(1)}"` });
          } else if (!line.startsWith("+")) {
            finish({ ok: false, failure: `what answers there is not Redis (it said "${line.slice(0, 60)}")` });
          } else if (++answered === commands.length) {
            finish({ ok: true });
          }
        }
      },
      close: () => finish({ ok: false, failure: "Redis closed the connection" }),
      error: (_s, err) => fail(err),
      connectError: (_s, err) => fail(err),
    };
    const { address, tls } = target;
    const connecting = "unix" in address ? Bun.connect({ unix: address.unix, tls, socket: handlers }) : Bun.connect({ ...address, tls, socket: handlers });
    connecting.then((s) => (done ? s.end() : (socket = s)), fail);
  });
}

/** A socket error as text, with its code ("Failed to connect (ECONNREFUSED)"). */
function failureOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? `${messageOf(err)} (${code})` : messageOf(err);
}

/** One command in RESP: an array of bulk strings. */
function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** The parts of a redis[s]://, valkey[s]:// or …+unix:// URL that the handshake needs; undefined if it does not parse. */
function targetOf(url: string): Target | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = u.protocol.replace(/:$/, "");
  const unix = scheme.endsWith("+unix");
  const tls = /^(rediss|valkeys)\b|\+tls\b/.test(scheme);
  const path = decodeURIComponent(u.pathname);
  const db = unix || path.length <= 1 ? 0 : Number(path.slice(1));
  if (!Number.isInteger(db)) return undefined;
  return {
    address: unix ? { unix: path } : { hostname: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : 6379 },
    tls,
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    db,
  };
}
