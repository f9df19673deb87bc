import { problem, type Problem } from "./problem.ts";

/** Refusals whose words are the same from every edge (a publish, a request, a publish frame). */

/** The answer to whatever arrives while the server shuts down; HTTP answers also end the connection. */
export const SHUTTING_DOWN: Problem<"shutting_down"> = problem(
  "shutting_down",
  "the server is shutting down and accepts no more requests; retry (on another instance)",
  { headers: { "retry-after": "1", connection: "close" } },
);

/** The store could not do the work: `why` (the store's words) and `outcome` (what became of it). */
export function storeUnavailable(why: string, outcome: string): Problem<"unavailable"> {
  return problem("unavailable", `${why}; ${outcome}`, { headers: { "retry-after": "1" } });
}
