import type { Hook } from "@hono/zod-openapi";
import { validationProblem, type ValidatedPart } from "../protocol/validation-problem.ts";
import { sendProblem } from "./problem.ts";

/** Hono's validation targets as the parts of a request they are; routes validate only JSON bodies, queries and headers. */
const PART: Partial<Record<string, ValidatedPart>> = { json: "body", query: "query", header: "header" };

/** The hook every validated route shares: a failed validation answers 400 with the zod issues. */
export const validationHook: Hook<unknown, any, any, any> = (result, c) => {
  if (result.success) return;
  return sendProblem(c, validationProblem(PART[result.target] ?? "body", result.error.issues));
};
