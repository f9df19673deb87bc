import type { z } from "zod";

/** Validation failures as clients see them, shared by HTTP answers and WebSocket error frames. */

/** One validation failure as clients see it. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * Turns zod issues into `{path, message}` pairs. A "one item or a batch" union reports both branches;
 * keep the branch that matches what was sent, so the user reads about their fields, not about arrays.
 */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const relevant = issue.errors.filter((branch) => !branch.some((i) => i.code === "invalid_type" && i.path.length === 0));
      if (relevant.length > 0) {
        out.push(...relevant.flatMap((branch) => flattenIssues(branch, path)));
        continue;
      }
    }
    out.push({ path: path.map(String).join(".") || "(body)", message: issue.message });
  }
  return out;
}

/** Describes issues in one sentence. */
export function describeIssues(issues: Issue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  return shown.join("; ") + (issues.length > 5 ? `; and ${issues.length - 5} more` : "");
}
