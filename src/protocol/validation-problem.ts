import type { z } from "zod";
import { describeIssues, flattenIssues } from "./issues.ts";
import { problem, type Problem } from "./problem.ts";

/** The part of a request that failed its schema. */
export type ValidatedPart = "body" | "query" | "header";

const CODE = { body: "invalid_body", query: "invalid_query", header: "invalid_header" } as const;
const WHERE: Record<ValidatedPart, string> = { body: "request body", query: "query string", header: "header" };

/**
 * The 400 for input that failed its schema, wherever it was checked (a Hono route, the publish
 * endpoint, the WebSocket upgrade): every issue with its field path, and a sentence naming them.
 */
export function validationProblem(part: ValidatedPart, zodIssues: readonly z.core.$ZodIssue[]): Problem<(typeof CODE)[ValidatedPart]> {
  const issues = flattenIssues(zodIssues);
  return problem(CODE[part], `${WHERE[part]} failed validation: ${describeIssues(issues)}`, { details: { issues } });
}
