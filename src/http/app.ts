import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { BrokerUnavailableError } from "../hub/unavailable.ts";
import { accessGuard } from "./auth.ts";
import type { App, AppDeps, AppEnv } from "./deps.ts";
import { meterPublishes } from "./metering.ts";
import { problem } from "./problem.ts";
import { registerConsole } from "./routes/console.ts";
import { registerDocs } from "./routes/docs.ts";
import { registerHealth } from "./routes/health.ts";
import { registerMetrics } from "./routes/metrics.ts";
import { registerPublish } from "./routes/publish.ts";
import { registerHistory } from "./routes/history.ts";
import { registerStreams } from "./routes/stream.ts";
import { registerWebSocketPaths } from "./routes/websocket.ts";
import { validationHook } from "./validation.ts";

/** Builds the Hono app: every REST route, the docs, and one place that turns failures into JSON. */
export function createApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(meterPublishes(deps.metrics));
  // Access log: refusals at warn with what was tried and why; the rest at debug (no per-event line by default).
  app.use(async (c, next) => {
    await next();
    const status = c.res.status;
    const fields = { method: c.req.method, path: c.req.path, status };
    if (status >= 500) logger.error("request failed", { ...fields, error: c.get("problem") });
    else if (status >= 400) logger.warn("request refused", { ...fields, error: c.get("problem") });
    else if (logger.enabled("debug")) logger.debug("request", fields);
  });
  app.use(cors({ origin: config.corsOrigin.includes("*") ? "*" : config.corsOrigin, maxAge: 600 }));
  // After CORS, so refusals carry CORS headers and preflights stay open.
  app.use(accessGuard(deps.access));
  app.on(["POST", "PUT", "PATCH"], "*", bodyLimit({
    maxSize: config.maxBodyBytes,
    onError: (c) => problem(c, 413, "body_too_large", `request body is larger than ${config.maxBodyBytes} bytes (--max-body-bytes); split it into smaller batches`),
  }));

  registerHealth(app, deps);
  registerPublish(app, deps);
  registerWebSocketPaths(app, deps);
  registerStreams(app, deps);
  registerHistory(app, deps);
  registerDocs(app);
  registerMetrics(app, deps);
  registerConsole(app);

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return problem(c, 405, "method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`, { allowed });
    }
    return problem(c, 404, "not_found", `no route ${c.req.method} ${c.req.path}; see /docs for the API`);
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      const code = err.status === 400 ? "bad_json" : "bad_request";
      const message = err.status === 400 ? `request body is not valid JSON: ${err.message}` : err.message;
      return problem(c, err.status, code, message);
    }
    if (err instanceof BrokerUnavailableError) {
      c.header("Retry-After", "1");
      const outcome = c.req.method === "GET" ? "the history cannot be read" : "nothing was stored";
      return problem(c, 503, "unavailable", `${err.message}; ${outcome}, retry shortly`);
    }
    const requestId = crypto.randomUUID();
    logger.error("unexpected error while handling a request", { method: c.req.method, path: c.req.path, requestId, error: err });
    return problem(c, 500, "internal_error", `the server failed to handle this request; quote request id ${requestId} when reporting it`, { requestId });
  });

  return app;
}

/** Methods registered for `path` (ignoring middleware), for 405 answers. */
function allowedMethods(app: App, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) if (r.method !== "ALL" && r.path === path) methods.add(r.method);
  return [...methods];
}
