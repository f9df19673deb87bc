import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import { describeIssues, flattenIssues } from "../protocol/issues.ts";
import { problem, problemResponse } from "./problem.ts";

/** The hook every validated route shares: a failed validation answers 400 with the zod issues. */
export const validationHook: Hook<unknown, any, any, any> = (result, c) => {
  if (result.success) return;
  const issues = flattenIssues(result.error.issues);
  const where = result.target === "json" ? "request body" : result.target === "query" ? "query string" : result.target;
  return problem(c, 400, `invalid_${result.target === "json" ? "body" : result.target}`, `${where} failed validation: ${describeIssues(issues)}`, {
    issues,
  });
};

/** The same 400 for a query validated outside Hono (the WebSocket upgrade). */
export function queryProblem(error: z.ZodError): Response {
  const issues = flattenIssues(error.issues);
  return problemResponse(400, "invalid_query", `query string failed validation: ${describeIssues(issues)}`, { issues });
}
