import { createRoute, z } from "@hono/zod-openapi";
import { createTokenCheck, presentedToken } from "../../access/tokens.ts";
import { problem } from "../../protocol/problem.ts";
import type { App, AppDeps } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { METRICS_SECURITY } from "../security-docs.ts";
import { sendProblem } from "../problem.ts";

const route = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  tags: ["health"],
  security: METRICS_SECURITY,
  summary: "Prometheus metrics",
  description:
    "Counters, gauges and a latency histogram in the Prometheus text format (see docs/metrics.md in the repository). " +
    "When the server runs with --metrics-token, send `Authorization: Bearer <token>`.",
  responses: {
    200: { description: "The metrics", content: { "text/plain": { schema: z.string() } } },
    // Open to the policy table: its guard is --metrics-token, checked here.
    ...errorResponses("get", "/metrics", ["unauthorized", "forbidden"]),
  },
});

/** GET /metrics, guarded by --metrics-token when it is set. */
export function registerMetrics(app: App, { metrics, config }: AppDeps) {
  const check = createTokenCheck(config.metricsToken ? [config.metricsToken] : []);
  app.openapi(route, async (c) => {
    const verdict = check.check(presentedToken(c.req.raw, new URL(c.req.url), false));
    if (verdict === "missing") {
      c.header("WWW-Authenticate", 'Bearer realm="metrics"');
      return sendProblem(c, problem("unauthorized", "GET /metrics needs the metrics token: send Authorization: Bearer <token> (the server runs with --metrics-token)"));
    }
    if (verdict === "wrong") {
      return sendProblem(c, problem("forbidden", "the token sent for GET /metrics is not the metrics token (--metrics-token)"));
    }
    return c.text(await metrics.render(), 200, { "content-type": metrics.contentType });
  });
}
