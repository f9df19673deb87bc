import type { MiddlewareHandler } from "hono";
import type { Access } from "../access/access.ts";
import type { AppEnv } from "./deps.ts";
import { sendProblem } from "./problem.ts";

/**
 * Guards every Hono route by the policy table (`src/access/policy.ts`): tokens per role. Applied once,
 * app-wide, so routes added later are covered without a line. (Publishing has its own endpoint.) The
 * credential's grant is kept for the route, which narrows what it reads to what the grant allows.
 */
export function accessGuard(access: Access): MiddlewareHandler<AppEnv> {
  return async function accessGuard(c, next) {
    const url = new URL(c.req.url);
    const checked = await access.authorize(c.req.raw, url);
    if (checked.refusal) return sendProblem(c, checked.refusal);
    c.set("grant", checked.grant);
    await next();
  };
}
