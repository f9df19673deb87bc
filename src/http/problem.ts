import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HttpErrorCode, StatusOf } from "../protocol/errors.ts";
import type { Problem } from "../protocol/problem.ts";

/** Sends a Problem inside Hono: its headers, status and JSON body; the access log picks the message up from the context. */
export function sendProblem<C extends HttpErrorCode>(c: Context, p: Problem<C>) {
  for (const [name, value] of Object.entries(p.headers ?? {})) c.header(name, value);
  c.set("problem", p.message);
  // Typed by the code's status: a typed route answering a status its OpenAPI entry omits does not compile.
  return c.json({ error: p.error, message: p.message, ...p.details }, p.status as StatusOf<C> & ContentfulStatusCode);
}
