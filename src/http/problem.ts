import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

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

export type Problem = z.infer<typeof ProblemBody>;

/** Answers with a JSON error body; the access log picks the message up from the context. */
export function problem<S extends ContentfulStatusCode>(c: Context, status: S, error: string, message: string, extra: object = {}) {
  c.set("problem", message);
  return c.json({ error, message, ...extra } as Problem, status);
}

/** A Response with a JSON error body, for code outside a Hono context (the WebSocket upgrade). */
export function problemResponse(status: number, error: string, message: string, extra: object = {}, headers?: Record<string, string>): Response {
  return Response.json({ error, message, ...extra }, { status, headers });
}

/** An error answer before it is sent: its status, code, sentence, and any headers and details. */
export interface ProblemAnswer {
  status: number;
  error: string;
  message: string;
  headers?: Record<string, string>;
  details?: object;
}

/** Sends a ProblemAnswer inside Hono: its headers, status and JSON body. */
export function sendProblem(c: Context, p: ProblemAnswer) {
  for (const [name, value] of Object.entries(p.headers ?? {})) c.header(name, value);
  return problem(c, p.status as ContentfulStatusCode, p.error, p.message, p.details);
}

/** Sends a ProblemAnswer outside Hono, with `extraHeaders` (CORS) added. */
export function answerProblem(p: ProblemAnswer, extraHeaders?: Record<string, string>): Response {
  return problemResponse(p.status, p.error, p.message, p.details, extraHeaders ? { ...p.headers, ...extraHeaders } : p.headers);
}

/** OpenAPI response entry for an error status. */
export const problemResponseDoc = (description: string) => ({
  description,
  content: { "application/json": { schema: ProblemBody } },
});
