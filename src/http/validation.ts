import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import { describeIssues, flattenIssues } from "../protocol/issues.ts";
import { answerProblem, sendProblem, type ProblemAnswer } from "./problem.ts";

/**
 * The 400 for input that failed its schema, wherever it was checked: `invalid_body` (a JSON body) or
 * `invalid_<target>` (query, header), every issue with its field path, and a sentence naming them.
 */
export function validationProblem(target: string, zodIssues: readonly z.core.$ZodIssue[]): ProblemAnswer {
  const what = target === "json" ? "body" : target;
  const where = what === "body" ? "request body" : what === "query" ? "query string" : what;
  const issues = flattenIssues(zodIssues);
  return { status: 400, error: `invalid_${what}`, message: `${where} failed validation: ${describeIssues(issues)}`, details: { issues } };
}

/** The hook every validated route shares: a failed validation answers 400 with the zod issues. */
export const validationHook: Hook<unknown, any, any, any> = (result, c) => {
  if (result.success) return;
  return sendProblem(c, validationProblem(result.target, result.error.issues));
};

/** The same 400 for a query validated outside Hono (the WebSocket upgrade). */
export function queryProblem(error: z.ZodError): Response {
  return answerProblem(validationProblem("query", error.issues));
}
