import { z } from "@hono/zod-openapi";
import { TOKEN_FAILURE_REASONS } from "./permissions.ts";
import { statusOf, type HttpErrorCode, type StatusOf } from "./errors.ts";

/**
 * The error answer over HTTP, whoever turns a request away (access rules, connection limits,
 * validation, failures) and whichever edge sends it (Hono routes, the publish endpoint, the WebSocket
 * upgrade, shutdown): one shape, built from the error catalogue, sent as `{error, message, ...details}`.
 */

/** The fields an answer may carry besides `error` and `message`, each sent by the codes that need it. */
export const ProblemDetails = z
  .object({
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .openapi({ description: "Each validation failure: the field path and what is wrong" }),
    requestId: z.string().openapi({ description: "Names this failure in the server's error log: quote it when reporting it" }),
    allowed: z.array(z.string()).openapi({ description: "The methods the path serves (as in the `Allow` header)" }),
    path: z.string().openapi({ description: "The path that has no WebSocket endpoint" }),
    websocketEndpoints: z.array(z.string()).openapi({ description: "The paths that serve WebSockets" }),
    origin: z.string().openapi({ description: "The browser origin that was refused" }),
    allowedOrigins: z.array(z.string()).openapi({ description: "The origins --cors-origin allows" }),
    id: z.string().openapi({ description: "The event id that history does not hold (`GET /api/events/by-id/{id}`)" }),
    retryAfter: z.number().int().openapi({ description: "Seconds to wait, as in the `Retry-After` header" }),
    reason: z.enum(TOKEN_FAILURE_REASONS).openapi({ description: "Why a JSON Web Token was refused (`unauthorized`); the message says what to do" }),
  })
  .partial();
export type ProblemDetails = z.infer<typeof ProblemDetails>;

/** An error answer before it is sent: its status, code, sentence for people, and any headers and details. */
export interface Problem<C extends HttpErrorCode = HttpErrorCode> {
  status: StatusOf<C>;
  error: C;
  message: string;
  headers?: Record<string, string>;
  details?: ProblemDetails;
}

/** The answer for `code`, with the status the catalogue gives it. */
export function problem<C extends HttpErrorCode>(
  code: C,
  message: string,
  extra: { headers?: Record<string, string>; details?: ProblemDetails } = {},
): Problem<C> {
  return { status: statusOf(code), error: code, message, ...extra };
}

/** Sends a Problem as a Response (outside Hono), with `extraHeaders` (CORS) added to its own. */
export function problemResponse(p: Problem, extraHeaders?: Record<string, string>): Response {
  const headers = extraHeaders ? { ...p.headers, ...extraHeaders } : p.headers;
  return Response.json({ error: p.error, message: p.message, ...p.details }, { status: p.status, headers });
}
