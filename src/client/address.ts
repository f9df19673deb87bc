import type { Position } from "./frames.ts";

/** Which stream to read and how to reach it. */
export interface StreamAddress {
  /** The server (`http://localhost:8000`, `wss://host`) or a stream's own address (`ws://host/ws/logs`); relative to the page in a browser. */
  url: string;
  /** `events` (default) or `logs`; picks the path when `url` names none. */
  channel?: "events" | "logs";
  /** Event types: exact names or `prefix.*` (events only). */
  types?: string | string[];
  /** The lowest log level (logs only). */
  level?: "debug" | "info" | "warn" | "error";
  /** Log sources (logs only). */
  source?: string | string[];
  /** The subscribe token (and publish token, to publish over the connection). */
  token?: string;
  /**
   * Where the token goes: `header` (Authorization, kept out of URLs and proxy logs) where the runtime's
   * WebSocket takes headers (Bun), else `query` (`?token=`, the only way a browser can send one).
   */
  tokenIn?: "query" | "header";
}

/** Where to start: a saved position, a bare seq, or a time (`-15m`, ISO 8601). */
export interface Start {
  position?: Position;
  since?: number;
  sinceTime?: string;
}

const PATHS = { events: "/ws", logs: "/ws/logs" } as const;

/** The WebSocket URL, its plain-HTTP twin (for the handshake probe) and the headers to send. */
export interface Target {
  ws: string;
  http: string;
  headers: Record<string, string>;
}

const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(",") : v);

/** Whether this runtime's WebSocket constructor takes headers (Bun's does; browsers', Node's and Deno's do not). */
export const socketTakesHeaders = (): boolean => typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** Builds the address of one connection attempt, resuming from `start`. */
export function targetOf(address: StreamAddress, start: Start): Target {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const url = new URL(address.url, base);
  if (url.pathname === "/" || url.pathname === "") url.pathname = PATHS[address.channel ?? "events"];
  const q = url.searchParams;
  const set = (name: string, value: string | number | undefined) => value !== undefined && value !== "" && q.set(name, String(value));
  set("types", list(address.types));
  set("level", address.level);
  set("source", list(address.source));
  if (start.position) {
    set("since", start.position.seq);
    set("epoch", start.position.epoch);
  } else if (start.since !== undefined) set("since", start.since);
  else set("since_time", start.sinceTime);
  const headers: Record<string, string> = {};
  const inHeader = (address.tokenIn ?? (socketTakesHeaders() ? "header" : "query")) === "header";
  if (address.token && inHeader) headers.authorization = `Bearer ${address.token}`;
  else set("token", address.token);
  const http = new URL(url);
  http.protocol = url.protocol.replace(/^ws/, "http");
  const ws = new URL(url);
  ws.protocol = http.protocol.replace(/^http/, "ws");
  return { ws: ws.href, http: http.href, headers };
}
