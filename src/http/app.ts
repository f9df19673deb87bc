import { OpenAPIHono } from "@hono/zod-openapi";
import type { Server } from "bun";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { StatusOf } from "../protocol/errors.ts";
import { problem } from "../protocol/problem.ts";
import { logAnswer } from "./access-log.ts";
import { accessGuard } from "./auth.ts";
import { corsOrigins } from "./cors.ts";
import type { App, AppDeps, AppEnv } from "./deps.ts";
import { failureAnswer } from "./failure.ts";
import { bodyTooLarge } from "./body.ts";
import { sendProblem } from "./problem.ts";
import { createPublishEndpoint } from "./publish-endpoint.ts";
import { registerConsole } from "./routes/console.ts";
import { registerClient } from "./routes/client.ts";
import { registerDocs } from "./routes/docs.ts";
import { registerHealth } from "./routes/health.ts";
import { registerMetrics } from "./routes/metrics.ts";
import { PUBLISH_PATHS, registerPublishDocs } from "./routes/publish.ts";
import { registerHistory } from "./routes/history.ts";
import { registerById } from "./routes/by-id.ts";
import { registerStreams } from "./routes/stream.ts";
import { registerWebSocketPaths } from "./routes/websocket.ts";
import { validationHook } from "./validation.ts";

/** Serves one HTTP request (WebSocket upgrades are handled before this). */
export type HttpHandler = (req: Request, server: Server<unknown>) => Response | Promise<Response>;

/** Every HTTP route: publishes go to the publish endpoint, the rest to the Hono app. */
export function createHttp(deps: AppDeps): HttpHandler {
  const publish = createPublishEndpoint({ ...deps, maxBodyBytes: deps.config.maxBodyBytes, corsOrigin: deps.config.corsOrigin });
  const app = createApp(deps);
  return (req, server) => publish(req, server) ?? app.fetch(req, { server });
}

/** Builds the Hono app: every REST route but publishing, the docs, and one place that turns failures into JSON. */
export function createApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(async (c, next) => {
    await next();
    logAnswer(logger, c.req.method, c.req.path, c.res.status, c.get("problem"), () => deps.clients.address(c.req.raw, c.env?.server));
  });
  app.use(cors({ origin: corsOrigins(config.corsOrigin), maxAge: 600 }));
  // After CORS, so refusals carry CORS headers and preflights stay open.
  app.use(accessGuard(deps.access));
  app.on(["POST", "PUT", "PATCH"], "*", bodyLimit({
    maxSize: config.maxBodyBytes,
    onError: (c) => sendProblem(c, bodyTooLarge(config.maxBodyBytes)),
  }));

  registerHealth(app, deps);
  registerPublishDocs(app, deps);
  registerWebSocketPaths(app, deps);
  registerStreams(app, deps);
  registerHistory(app, deps);
  registerById(app, deps);
  registerDocs(app);
  registerMetrics(app, deps);
  registerConsole(app);
  registerClient(app);

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return sendProblem(c, problem("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`, { details: { allowed } }));
    }
    return sendProblem(c, problem("not_found", `no route ${c.req.method} ${c.req.path}; see /docs for the API`));
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      if (err.status === 400) return sendProblem(c, problem("bad_json", `request body is not valid JSON: ${err.message}`));
      // Hono's exception carries its own status (a 4xx other than 400): keep it, as Hono would. No
      // middleware in use throws one today (the body limit answers through its onError).
      return sendProblem(c, { ...problem("bad_request", err.message), status: err.status as StatusOf<"bad_request"> });
    }
    return sendProblem(c, failureAnswer(err, c.req.method, c.req.path, logger));
  });

  return app;
}

const PUBLISH_PATH_SET = new Set(Object.values(PUBLISH_PATHS));

/** Methods served on `path` (ignoring middleware), for 405 answers. */
function allowedMethods(app: App, path: string): string[] {
  const methods = new Set<string>();
  if (PUBLISH_PATH_SET.has(path)) methods.add("POST"); // served by the publish endpoint, not a Hono route
  for (const r of app.routes) if (r.method !== "ALL" && r.path === path) methods.add(r.method);
  return [...methods];
}
