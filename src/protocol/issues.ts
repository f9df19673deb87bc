import type { z } from "zod";

/** Validation failures as clients see them, shared by HTTP answers and WebSocket error frames. */

/** One validation failure as clients see it. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * Turns zod issues into `{path, message}` pairs, each path under `prefix`. Inputs are validated against
 * the item or the batch schema by their shape, never the "one item or a batch" union, so no union's
 * branches need sorting out here.
 */
export function flattenIssues(issues: readonly Pick<z.core.$ZodIssue, "path" | "message">[], prefix: PropertyKey[] = []): Issue[] {
  return issues.map((issue) => ({ path: [...prefix, ...issue.path].map(String).join(".") || "(body)", message: issue.message }));
}

/** Describes issues in one sentence. */
export function describeIssues(issues: Issue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  return shown.join("; ") + (issues.length > 5 ? `; and ${issues.length - 5} more` : "");
}
