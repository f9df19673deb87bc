import type { Server } from "bun";
import type { Access } from "../access/access.ts";
import type { Channel } from "../hub/channels.ts";
import type { Accepted, Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { fastSafeParse, type SafeParse } from "../protocol/fast-validator.ts";
import type { EventInput, InputSchemas, LogInput } from "../protocol/inputs.ts";
import { problem, problemResponse, type Problem } from "../protocol/problem.ts";
import { validationProblem } from "../protocol/validation-problem.ts";
import type { Inflight } from "../access/inflight.ts";
import { logAnswer } from "./access-log.ts";
import { bodyTooLarge, readBodyText } from "./body.ts";
import { corsHeaders, corsOrigins } from "./cors.ts";
import { failureAnswer } from "./failure.ts";
import { PUBLISH_PATHS } from "./routes/publish.ts";

/**
 * `POST /api/events` and `POST /api/logs`, served ahead of Hono. Publishing is the one request sent
 * thousands of times a second, and Hono's middleware chain (async steps, per-request URL parsing,
 * async validation) cost it more than everything else it does together (bench: `http` scenario). Here
 * the same guards run as plain calls, in the order the other routes apply them, with the same
 * answers; the route is still documented from its schema (`routes/publish.ts`).
 */
export type PublishEndpoint = (req: Request, server: Server<unknown> | undefined) => Promise<Response> | undefined;

export interface PublishEndpointDeps {
  hub: Hub;
  schemas: InputSchemas;
  access: Access;
  inflight: Inflight;
  metrics: Recorder;
  logger: Logger;
  maxBodyBytes: number;
  corsOrigin: readonly string[];
}

interface Route {
  channel: Channel;
  path: string;
  /**
   * The two halves of the channel's publish schema (one item | a batch), picked by the body's shape:
   * cheaper than trying the union, and the issues name the fields of what was sent. Synchronous
   * (`safeParse`): the schemas have no async refinements.
   */
  item: SafeParse<unknown>;
  batch: SafeParse<unknown[]>;
  publish(items: unknown[]): Promise<Accepted[]>;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** Builds the endpoint: a function that serves a publish request, or returns undefined for any other request. */
export function createPublishEndpoint(deps: PublishEndpointDeps): PublishEndpoint {
  const { hub, schemas, access, inflight, metrics, logger, maxBodyBytes } = deps;
  const origins = corsOrigins(deps.corsOrigin);
  const routes = new Map<string, Route>([
    [PUBLISH_PATHS.events, { channel: "events", path: PUBLISH_PATHS.events, item: fastSafeParse(schemas.EventInput), batch: fastSafeParse(schemas.EventBatch), publish: (items) => hub.publishEvents(items as EventInput[]) }],
    [PUBLISH_PATHS.logs, { channel: "logs", path: PUBLISH_PATHS.logs, item: fastSafeParse(schemas.LogInput), batch: fastSafeParse(schemas.LogBatch), publish: (items) => hub.publishLogs(items as LogInput[]) }],
  ]);
  const tooLarge = bodyTooLarge(maxBodyBytes);
  // With every origin allowed (the default) the success headers never change: build them once, as a
  // Headers object, which a Response copies at half the cost of reading a plain object's keys.
  const anyOrigin = origins === "*" ? new Headers({ ...corsHeaders(origins, null), ...JSON_HEADERS }) : undefined;

  /** Everything up to the answer; returns the JSON text of a success, or the problem. */
  async function serve(route: Route, req: Request, url: URL, server: Server<unknown> | undefined): Promise<string | Problem> {
    const refused = access.authorize(req, url, "publisher");
    if (refused) return refused;
    const declared = req.headers.get("content-length");
    if (Number(declared ?? 0) > maxBodyBytes) return tooLarge;
    const limited = access.throttle(() => access.publisher(req, url, server?.requestIP(req)?.address ?? "unknown"));
    if (limited) return limited;
    // No draining check here: while the server drains, no request reaches this far (shutting-down.ts).
    const done = inflight.begin();
    try {
      const type = req.headers.get("content-type") ?? "";
      if (!JSON_TYPE.test(type)) {
        return problem("unsupported_media_type", `send the body as JSON with "Content-Type: application/json" (got ${type ? `"${type}"` : "none"})`);
      }
      const text = await readBodyText(req, maxBodyBytes, declared);
      if (text === undefined) return tooLarge;
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        return problem("bad_json", `request body is not valid JSON: ${(err as Error).message}`);
      }
      const isBatch = Array.isArray(body);
      const parsed = isBatch ? route.batch(body) : route.item(body);
      if (!parsed.success) return validationProblem("body", parsed.error.issues);
      const accepted = await route.publish(isBatch ? (parsed.data as unknown[]) : [parsed.data]);
      return JSON.stringify({ accepted: accepted.length, items: accepted });
    } finally {
      done();
    }
  }

  /** Serves one publish: the outcome as a Response with CORS headers, counted and logged. */
  async function answer(route: Route, req: Request, url: URL, server: Server<unknown> | undefined): Promise<Response> {
    let outcome: string | Problem;
    try {
      outcome = await serve(route, req, url, server);
    } catch (err) {
      outcome = failureAnswer(err, req.method, route.path, logger);
    }
    const res = typeof outcome === "string"
      ? new Response(outcome, { headers: anyOrigin ?? { ...corsHeaders(origins, req.headers.get("origin")), ...JSON_HEADERS } })
      : problemResponse(outcome, corsHeaders(origins, req.headers.get("origin")));
    metrics.publishAnswered(route.channel, res.status);
    logAnswer(logger, req.method, route.path, res.status, typeof outcome === "string" ? undefined : outcome.message);
    return res;
  }

  return function publishEndpoint(req, server) {
    if (req.method !== "POST") return undefined;
    const url = new URL(req.url);
    const route = routes.get(url.pathname);
    return route && answer(route, req, url, server);
  };
}

const JSON_HEADERS = { "content-type": "application/json" };
