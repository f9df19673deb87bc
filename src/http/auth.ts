import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";
import type { Access, Refusal } from "../access/access.ts";
import { problem, problemResponse } from "./problem.ts";

/** Answers a refusal inside Hono: its status, headers and JSON body. */
export function refuse(c: Context, refusal: Refusal) {
  for (const [name, value] of Object.entries(refusal.headers ?? {})) c.header(name, value);
  return problem(c, refusal.status, refusal.error, refusal.message, refusal.details);
}

/** The same answer outside Hono (the WebSocket upgrade), so both paths refuse with the same body. */
export function refusalResponse(refusal: Refusal): Response {
  const res = problemResponse(refusal.status, refusal.error, refusal.message, refusal.details);
  for (const [name, value] of Object.entries(refusal.headers ?? {})) res.headers.set(name, value);
  return res;
}

/** The client's address as the socket reports it ("unknown" when the app runs without a server). */
export function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Guards every route by the policy table (`src/access/policy.ts`): tokens per role, and the publish
 * rate for publishers. Applied once, app-wide, so routes added later are covered without a line.
 */
export function accessGuard(access: Access): MiddlewareHandler {
  return async function accessGuard(c, next) {
    const url = new URL(c.req.url);
    const refusal = access.authorize(c.req.raw, url);
    if (refusal) return refuse(c, refusal);
    await next();
  };
}

/** Counts a publish request against --publish-rate (429 with Retry-After past it). */
export function publishRate(access: Access): MiddlewareHandler {
  return async function publishRate(c, next) {
    const refusal = access.throttle(access.publisher(c.req.raw, new URL(c.req.url), remoteAddress(c)));
    if (refusal) return refuse(c, refusal);
    await next();
  };
}
