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
export type FetchLike = (url: string, init: { headers: Record<string, string> }) => Promise<Response>;

/** Statuses no retry can fix: a bad query, no or a wrong token, no such endpoint. */
const FINAL = new Set([400, 401, 403, 404]);

/**
 * Asks why a WebSocket did not open. No runtime's WebSocket shows the handshake's status, so the
 * client sends the same URL (same query, same token) as a plain GET: the server checks the token and
 * the query for it exactly as for the upgrade, and answers `426` when the upgrade would have been
 * accepted — then the failure was the network's, a connection limit or a browser origin, and retrying helps.
 */
export async function probeHandshake(target: Target, fetchFn: FetchLike): Promise<Verdict> {
  let res: Response;
  try {
    res = await fetchFn(target.http, { headers: target.headers });
  } catch {
    return { retry: "server unreachable" };
  }
  if (FINAL.has(res.status)) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    return { refused: new StreamRefusedError(res.status, body.error ?? "refused", body.message ?? res.statusText) };
  }
  await res.body?.cancel().catch(() => {});
  if (res.status === 426) return { retry: "the server accepts this stream but the connection failed" };
  const seconds = Number(res.headers.get("retry-after"));
  return { retry: `the server answered ${res.status}`, afterMs: seconds > 0 ? seconds * 1000 : undefined };
}
