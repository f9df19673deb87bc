import { GOING_AWAY, POLICY_VIOLATION, TRY_AGAIN_LATER } from "./close-codes.ts";

/**
 * The error catalogue: every code a client can get, as an HTTP answer's `error` or a WebSocket `error`
 * frame's `code`, with its status, retry advice and what it means. Answers are built from it
 * (`problem()` in `./problem.ts`, `ErrorFrame` in `./frames.ts`), and so are the OpenAPI enums and the
 * docs/protocol.md's tables (`bun run docs:errors`): a code that is not here does not compile, and a code
 * documented differently from here fails a test. Modelled on centrifuge's `errors.go`.
 */

/**
 * What a client should do before sending the same thing again:
 * - `never`: it fails the same way until the request, the token or the client is fixed;
 * - `after Retry-After`: a passing condition; HTTP answers carry a `Retry-After` header with the seconds
 *   to wait (an error frame carries no header: back off as for `with backoff`);
 * - `with backoff`: a passing condition with no hint: retry after a growing, jittered delay.
 */
export type RetryAdvice = "never" | "after Retry-After" | "with backoff";

/** One code: where it is sent and when, and whether retrying can help. */
export interface ErrorEntry {
  /** Sent as an HTTP answer: its status, and when, in one line for users. */
  http?: { status: number; when: string };
  /** Sent as a WebSocket `error` frame: when, in one line for users. */
  frame?: { when: string };
  retry: RetryAdvice;
}

/** The catalogue, HTTP codes in status order, then the codes only error frames carry. */
export const ERRORS = {
  bad_json: {
    http: { status: 400, when: "the body is not valid JSON" },
    frame: { when: "a frame is not JSON" },
    retry: "never",
  },
  invalid_body: {
    http: { status: 400, when: "validation failed; `issues` lists each `{path, message}` (e.g. `1.type` for the second item of a batch, `specversion` of a CloudEvent)" },
    retry: "never",
  },
  invalid_query: {
    http: { status: 400, when: "a query parameter (filter, resume point, page) is not valid, or is not one the path takes; `issues` names it" },
    retry: "never",
  },
  invalid_header: {
    http: { status: 400, when: "a header (`Last-Event-ID`, or a binary-mode CloudEvent's `ce-` header) is not valid; `issues` names it (e.g. `ce-type`)" },
    retry: "never",
  },
  bad_upgrade: {
    http: { status: 400, when: "a malformed WebSocket handshake (no `Sec-WebSocket-Key` or version)" },
    retry: "never",
  },
  bad_request: {
    http: { status: 400, when: "the HTTP framework refused the request before it reached a route (its own 4xx status, which says why)" },
    retry: "never",
  },
  unauthorized: {
    http: { status: 401, when: "a token is configured and the request carries none (`Authorization: Bearer <token>`, or `?token=` for reads), or its JSON Web Token is expired, not yet valid, wrongly signed or malformed (`reason` says which)" },
    frame: { when: "a publish frame on a connection opened without a token while `--publish-token` is set: reconnect with one; or a `refresh` frame whose token is not valid" },
    retry: "never",
  },
  forbidden: {
    http: { status: 403, when: "the token sent is not one the server accepts for this request, or its permissions allow none of it (a channel it may not read; an event type it may not publish: `issues` names each, e.g. `1.type`)" },
    frame: { when: "a publish frame on a connection whose token may not publish (those types: `issues`), or a `refresh` frame whose token does not allow the current subscription" },
    retry: "never",
  },
  forbidden_origin: {
    http: { status: 403, when: "a WebSocket upgrade from a browser origin neither on `--cors-origin` nor the server's own" },
    retry: "never",
  },
  not_found: {
    http: { status: 404, when: "no such route (or no such WebSocket endpoint: `websocketEndpoints` lists them), or no event with that `id` in history (`GET /api/events/by-id/{id}`)" },
    retry: "never",
  },
  method_not_allowed: {
    http: { status: 405, when: "the path exists with other methods (`Allow` header)" },
    retry: "never",
  },
  body_too_large: {
    http: { status: 413, when: "body over `--max-body-bytes`" },
    retry: "never",
  },
  unsupported_media_type: {
    http: { status: 415, when: "missing `Content-Type: application/json` (on `/api/events` also the CloudEvents types), or a CloudEvent sent to `/api/logs`" },
    retry: "never",
  },
  upgrade_required: {
    http: { status: 426, when: "plain HTTP request on a WebSocket path" },
    retry: "never",
  },
  rate_limited: {
    http: { status: 429, when: "more publishes than `--publish-rate` allows" },
    frame: { when: "a publish frame beyond `--publish-rate`; the message says when to retry" },
    retry: "after Retry-After",
  },
  internal_error: {
    http: { status: 500, when: "a bug: the body and the server log carry the same `requestId`" },
    retry: "with backoff",
  },
  unavailable: {
    http: { status: 503, when: "with `--redis`: Redis is unreachable; nothing was stored (unless the message says it may have been), or the history cannot be read" },
    frame: {
      when: "the store (Redis) is unreachable: nothing was stored (unless the message says it may have been); on an event stream, the history could not be read and the stream ends",
    },
    retry: "after Retry-After",
  },
  too_many_connections: {
    http: { status: 503, when: `\`--max-connections\` or \`--max-connections-per-address\` is reached (WebSocket and Server-Sent Events alike; an open WebSocket found over it is closed with \`${TRY_AGAIN_LATER}\`)` },
    retry: "after Retry-After",
  },
  shutting_down: {
    http: { status: 503, when: "the server is shutting down: every request gets it, with `Connection: close`" },
    frame: { when: `a publish frame while the server is shutting down: nothing was published; publish it again once reconnected (the connection is closed with \`${GOING_AWAY}\`)` },
    retry: "after Retry-After",
  },
  unsupported: {
    frame: { when: "an unknown `kind`, a binary frame, or a publish frame on `/ws/logs` (log lines go to `POST /api/logs`)" },
    retry: "never",
  },
  bad_frame: {
    frame: { when: "a known kind with bad fields: neither or both of `event` and `events`, an unknown field, a bad `ack`" },
    retry: "never",
  },
  invalid_event: {
    frame: { when: "validation failed; `issues` lists each `{path, message}`, e.g. `events.3.type`; nothing of the frame was published" },
    retry: "never",
  },
  inbound_limit: {
    frame: { when: `the client sent more frames or bytes a second than its budget; the connection is closed with \`${POLICY_VIOLATION}\`` },
    retry: "with backoff",
  },
} as const satisfies Record<string, ErrorEntry>;

type Catalogue = typeof ERRORS;
/** Every code in the catalogue. */
export type ErrorCode = keyof Catalogue;
/** The codes an HTTP answer can carry as `error`. */
export type HttpErrorCode = { [C in ErrorCode]: Catalogue[C] extends { http: object } ? C : never }[ErrorCode];
/** The HTTP status of the answers with code `C`. */
export type StatusOf<C extends HttpErrorCode> = Catalogue[C] extends { http: { status: infer S extends number } } ? S : never;
/** The codes a WebSocket `error` frame can carry as `code`. */
export type FrameErrorCode = { [C in ErrorCode]: Catalogue[C] extends { frame: object } ? C : never }[ErrorCode];

const ALL = Object.keys(ERRORS) as ErrorCode[];
const entry = (code: ErrorCode): ErrorEntry => ERRORS[code];

/** The HTTP codes, in catalogue order. */
export const HTTP_ERROR_CODES: readonly HttpErrorCode[] = ALL.filter((c): c is HttpErrorCode => entry(c).http !== undefined);
/** The error-frame codes, in catalogue order. */
export const FRAME_ERROR_CODES: readonly FrameErrorCode[] = ALL.filter((c): c is FrameErrorCode => entry(c).frame !== undefined);

/** The HTTP status an answer with `code` carries. */
export function statusOf<C extends HttpErrorCode>(code: C): StatusOf<C> {
  return entry(code).http!.status as StatusOf<C>;
}
