import { z } from "@hono/zod-openapi";
import { ERRORS, HTTP_ERROR_CODES, statusOf, type HttpErrorCode, type StatusOf } from "../protocol/errors.ts";
import { ProblemDetails } from "../protocol/problem.ts";
import { guarded } from "./security-docs.ts";

/** Every operation can answer these: a bug, and any request while the server shuts down. */
const ANY_OPERATION = ["internal_error", "shutting_down"] as const satisfies readonly HttpErrorCode[];
/** What an operation the policy table guards answers without the right token. */
const GUARDED = ["unauthorized", "forbidden"] as const satisfies readonly HttpErrorCode[];

/** An error response as OpenAPI documents it; its schema types what the route's handler may answer. */
interface ErrorResponse {
  description: string;
  content: { "application/json": { schema: z.ZodType<{ error: string; message: string } & ProblemDetails>; examples: Record<string, { summary: string; value: unknown }> } };
}

/** The responses of `errorResponses`, keyed by status; 401 and 403 only when the operation is guarded. */
type ErrorResponses<C extends HttpErrorCode> = Record<StatusOf<C | (typeof ANY_OPERATION)[number]>, ErrorResponse> &
  Partial<Record<StatusOf<(typeof GUARDED)[number]>, ErrorResponse>>;

/**
 * One answer of each code as the server sends it, for the OpenAPI examples (a type error when a code
 * is added to the catalogue without one). The details shown are the fields the documented schema lists.
 */
const EXAMPLES: { [C in HttpErrorCode]: { message: string; details?: ProblemDetails } } = {
  bad_json: { message: "request body is not valid JSON: JSON Parse error: Unexpected EOF" },
  invalid_body: {
    message: "request body failed validation: type: type must not be empty",
    details: { issues: [{ path: "type", message: "type must not be empty" }] },
  },
  invalid_query: {
    message: "query string failed validation: since: since must be a whole number (a seq from 0 up)",
    details: { issues: [{ path: "since", message: "since must be a whole number (a seq from 0 up)" }] },
  },
  invalid_header: {
    message: "header failed validation: last-event-id: Last-Event-ID must be a whole number (a seq from 0 up)",
    details: { issues: [{ path: "last-event-id", message: "Last-Event-ID must be a whole number (a seq from 0 up)" }] },
  },
  bad_upgrade: { message: "the WebSocket handshake was malformed (missing Sec-WebSocket-Key or version?)" },
  bad_request: { message: "Payload Too Large" },
  unauthorized: { message: "reading /api/events needs a subscribe token: send Authorization: Bearer <token> or add ?token=<token> to the URL" },
  forbidden: { message: "the token is not valid for publishing; use one of the tokens given to the server with --publish-token" },
  forbidden_origin: {
    message: "WebSocket connections from origin https://evil.example are not allowed; allowed origins: https://app.example.com (--cors-origin)",
    details: { origin: "https://evil.example", allowedOrigins: ["https://app.example.com"] },
  },
  not_found: {
    message: "no WebSocket endpoint at /ws/events; connect to one of /ws, /api/stream, /ws/logs",
    details: { path: "/ws/events", websocketEndpoints: ["/ws", "/api/stream", "/ws/logs"] },
  },
  method_not_allowed: { message: "DELETE is not allowed on /api/events; use POST or GET", details: { allowed: ["POST", "GET"] } },
  body_too_large: { message: "request body is larger than 1048576 bytes (--max-body-bytes); split it into smaller batches" },
  unsupported_media_type: {
    message: 'send the body as JSON with "Content-Type: application/json", or a CloudEvent (application/cloudevents+json, application/cloudevents-batch+json, or binary mode with ce- headers) (got "text/plain")',
  },
  upgrade_required: {
    message:
      "/ws is a WebSocket endpoint: connect with a WebSocket client, e.g. wscat -c ws://localhost:8000/ws, " +
      "or ask for Server-Sent Events: curl -N -H 'Accept: text/event-stream' http://localhost:8000/ws",
    details: { websocketEndpoints: ["/ws", "/api/stream", "/ws/logs"] },
  },
  rate_limited: {
    message: "too many publishes: at most 100 per second (bursts of 200) per token or address; retry in 1 s or send batches",
    details: { retryAfter: 1 },
  },
  internal_error: {
    message: "the server failed to handle this request; quote request id 5f0c9a52-7d1e-4f7b-9a43-2b8e1c6d0f21 when reporting it",
    details: { requestId: "5f0c9a52-7d1e-4f7b-9a43-2b8e1c6d0f21" },
  },
  unavailable: { message: "Redis at localhost:6379 is unreachable; nothing was stored, retry shortly" },
  too_many_connections: {
    message: "the server holds its maximum of 10000 connections, WebSocket and Server-Sent Events (--max-connections); retry later or connect to another instance",
  },
  shutting_down: { message: "the server is shutting down and accepts no more requests; retry (on another instance)" },
};

/**
 * The OpenAPI error responses of one operation, from the catalogue: per status, the `error` enum of the
 * codes it can answer (`codes`, plus 401/403 when the policy table guards it, plus the 500 and the
 * shutdown 503 every operation can give), a line per code, and an example of each.
 */
export function errorResponses<const C extends HttpErrorCode>(method: string, path: string, codes: readonly C[]): ErrorResponses<C> {
  const answered = new Set<HttpErrorCode>([...codes, ...(guarded(method, path) ? GUARDED : []), ...ANY_OPERATION]);
  const byStatus = new Map<number, HttpErrorCode[]>();
  for (const code of HTTP_ERROR_CODES) {
    if (!answered.has(code)) continue;
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, sameStatus]) => [status, errorResponse(sameStatus)])) as ErrorResponses<C>;
}

/** One status's response: codes of the same status share it. */
function errorResponse(codes: HttpErrorCode[]): ErrorResponse {
  const detailFields: { [K in keyof ProblemDetails]?: true } = Object.fromEntries(codes.flatMap((c) => Object.keys(EXAMPLES[c].details ?? {})).map((k) => [k, true]));
  const schema = z.object({ error: z.enum(codes), message: z.string() }).extend(ProblemDetails.pick(detailFields).shape);
  return {
    description: codes.map((c) => `- \`${c}\`: ${ERRORS[c].http.when} (retry: ${ERRORS[c].retry})`).join("\n"),
    content: {
      "application/json": {
        schema,
        examples: Object.fromEntries(codes.map((c) => [c, { summary: c, value: { error: c, message: EXAMPLES[c].message, ...EXAMPLES[c].details } }])),
      },
    },
  };
}
