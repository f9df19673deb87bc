import type { Target } from "./address.ts";

/** The server turned the connection down for a reason that retrying cannot fix (400, 401, 403, 404). */
export class StreamRefusedError extends Error {
  override name = "StreamRefusedError";
  constructor(
    /** The HTTP status the server answered the handshake with. */
    readonly status: number,
    /** The server's error code (`unauthorized`, `invalid_query`, …). */
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

/** What a failed handshake means: stop with the server's words, or try again (after `afterMs` when it said so). */
export type Verdict = { refused: StreamRefusedError } | { retry: string; afterMs?: number };

/** The part of the standard fetch the probe uses. */
export type FetchLike = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

/** Statuses no retry can fix: a bad query, no or a wrong token, no such endpoint. */
const FINAL = new Set([400, 401, 403, 404]);

/**
 * Asks why a WebSocket did not open. No runtime's WebSocket shows the handshake's status, so the client
 * asks for the same stream (same URL, query and token) as Server-Sent Events, which the server decides
 * by the same checks as the upgrade (token and what it may read, query, connection limits), and hangs
 * up as soon as the answer's status is in. 200 (or a `426` from a server without Server-Sent Events)
 * means the stream would have been accepted: the failure was the network's, and retrying helps.
 */
export async function probeHandshake(target: Target, fetchFn: FetchLike): Promise<Verdict> {
  const abort = new AbortController();
  let res: Response;
  try {
    res = await fetchFn(target.http, { headers: { ...target.headers, accept: "text/event-stream" }, signal: abort.signal });
  } catch {
    // In a page, a server that does not allow the page's origin fails the probe just like a dead one
    // (the browser hides its answer), and refuses the upgrade too.
    const page = typeof (globalThis as { document?: unknown }).document !== "undefined";
    return { retry: page ? "server unreachable, or it does not allow this page's origin (--cors-origin)" : "server unreachable" };
  }
  if (FINAL.has(res.status)) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    return { refused: new StreamRefusedError(res.status, body.error ?? "refused", body.message ?? res.statusText) };
  }
  abort.abort(); // a stream that would have been accepted never ends: only its status was wanted
  if (res.ok || res.status === 426) return { retry: "the server accepts this stream but the connection failed" };
  const seconds = Number(res.headers.get("retry-after"));
  return { retry: `the server answered ${res.status}`, afterMs: seconds > 0 ? seconds * 1000 : undefined };
}