import { z } from "@hono/zod-openapi";
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

/** The JSON body of every error answer: a stable code, a sentence for people, and details. */
export const ProblemBody = z
  .object({
    error: z.string().openapi({ example: "invalid_body" }),
    message: z.string().openapi({ example: "request body failed validation: type: must not be empty" }),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "Each validation failure: the field path and what is wrong" }),
  })
  .passthrough()
  .openapi("Problem");

/** OpenAPI response entry for an error status. */
export const problemResponseDoc = (description: string) => ({
  description,
  content: { "application/json": { schema: ProblemBody } },
});
