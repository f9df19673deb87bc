import type { MiddlewareHandler } from "hono";
import type { Access } from "../access/access.ts";
import { sendProblem } from "./problem.ts";

/**
 * Guards every Hono route by the policy table (`src/access/policy.ts`): tokens per role. Applied once,
 * app-wide, so routes added later are covered without a line. (Publishing has its own endpoint.)
 */
export function accessGuard(access: Access): MiddlewareHandler {
  return async function accessGuard(c, next) {
    const url = new URL(c.req.url);
    const refusal = access.authorize(c.req.raw, url);
    if (refusal) return sendProblem(c, refusal);
    await next();
  };
}
