import type { Context, MiddlewareHandler } from "hono";
import type { Access, Refusal } from "../access/access.ts";
import { problem } from "./problem.ts";

/** Answers a refusal inside Hono: its status, headers and JSON body. */
export function refuse(c: Context, refusal: Refusal) {
  for (const [name, value] of Object.entries(refusal.headers ?? {})) c.header(name, value);
  return problem(c, refusal.status, refusal.error, refusal.message, refusal.details);
}

/**
 * Guards every Hono route by the policy table (`src/access/policy.ts`): tokens per role. Applied once,
 * app-wide, so routes added later are covered without a line. (Publishing has its own endpoint.)
 */
export function accessGuard(access: Access): MiddlewareHandler {
  return async function accessGuard(c, next) {
    const url = new URL(c.req.url);
    const refusal = access.authorize(c.req.raw, url);
    if (refusal) return refuse(c, refusal);
    await next();
  };
}
