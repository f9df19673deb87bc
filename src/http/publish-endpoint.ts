import type { Server } from "bun";
import type { Access } from "../access/access.ts";
import type { Clients } from "../access/client.ts";
import type { PublishOutcome, Publishing, Read } from "../access/publishing.ts";
import { CHANNELS, type Channel } from "../hub/channels.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { problem, problemResponse, type Problem } from "../protocol/problem.ts";
import { validationProblem } from "../protocol/validation-problem.ts";
import { binaryIssues, cloudEventMode, isBinaryMode, readBinaryCloudEvent } from "../protocol/cloudevents.ts";
import { describeIssues, flattenIssues } from "../protocol/issues.ts";
import { logAnswer } from "./access-log.ts";
import { bodyTooLarge, readBodyBytes, readBodyText } from "./body.ts";
import { corsHeaders, corsOrigins } from "./cors.ts";
import { failureAnswer } from "./failure.ts";
import { PUBLISH_PATHS } from "./routes/publish.ts";

/**
 * `POST /api/events` and `POST /api/logs`, served ahead of Hono. Publishing is the one request sent
 * thousands of times a second, and Hono's middleware chain (async steps, per-request URL parsing,
 * async validation) cost it more than everything else it does together (bench: `http` scenario). Here
 * a request goes straight to the publish pipeline (`../access/publishing.ts`), which WebSocket publish
 * frames share; this file only reads the body and turns the outcome into an answer. The route is still
 * documented from its schema (`routes/publish.ts`).
 */
export type PublishEndpoint = (req: Request, server: Server<unknown> | undefined) => Promise<Response> | undefined;

export interface PublishEndpointDeps {
  publishing: Publishing;
  access: Access;
  clients: Clients;
  metrics: Recorder;
  logger: Logger;
  maxBodyBytes: number;
  corsOrigin: readonly string[];
}

interface Route {
  channel: Channel;
  path: string;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** Builds the endpoint: a function that serves a publish request, or returns undefined for any other request. */
export function createPublishEndpoint(deps: PublishEndpointDeps): PublishEndpoint {
  const { publishing, access, clients, metrics, logger, maxBodyBytes } = deps;
  const origins = corsOrigins(deps.corsOrigin);
  const routes = new Map<string, Route>(CHANNELS.map((channel) => [PUBLISH_PATHS[channel], { channel, path: PUBLISH_PATHS[channel] }]));
  const tooLarge = bodyTooLarge(maxBodyBytes);
  // With every origin allowed (the default) the success headers never change: build them once, as a
  // Headers object, which a Response copies at half the cost of reading a plain object's keys.
  const anyOrigin = origins === "*" ? new Headers({ ...corsHeaders(origins, null), ...JSON_HEADERS }) : undefined;

  /**
   * The body as one item or a batch, read once the pipeline has admitted the publisher: JSON in
   * stream-server's own format, or a CloudEvent (structured, batched, or binary with `ce-` headers).
   */
  async function readItems(req: Request, route: Route, how: { binary: boolean }): Promise<Read<Problem>> {
    const declared = req.headers.get("content-length");
    if (Number(declared ?? 0) > maxBodyBytes) return { kind: "unread", refusal: tooLarge };
    const type = req.headers.get("content-type") ?? "";
    const mode = cloudEventMode(type);
    if (mode === undefined && isBinaryMode(req.headers)) {
      if (route.channel !== "events") return { kind: "unread", refusal: notEvents(route) };
      how.binary = true;
      return readBinary(req, declared);
    }
    if (mode === undefined && !JSON_TYPE.test(type)) {
      return {
        kind: "unread",
        refusal: problem(
          "unsupported_media_type",
          `send the body as JSON with "Content-Type: application/json"${route.channel === "events" ? `, or a CloudEvent (${CLOUDEVENT_TYPES})` : ""} (got ${type ? `"${type}"` : "none"})`,
        ),
      };
    }
    if (mode !== undefined && route.channel !== "events") return { kind: "unread", refusal: notEvents(route) };
    const text = await readBodyText(req, maxBodyBytes, declared);
    if (text === undefined) return { kind: "unread", refusal: tooLarge };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return { kind: "unread", refusal: problem("bad_json", `request body is not valid JSON: ${(err as Error).message}`) };
    }
    if (mode !== undefined) return { kind: "items", batch: mode === "batch", input: body, cloudevents: true };
    return { kind: "items", batch: Array.isArray(body), input: body };
  }

  /** A binary-mode CloudEvent: attributes from the `ce-` headers, data from the body. */
  async function readBinary(req: Request, declared: string | null): Promise<Read<Problem>> {
    const bytes = await readBodyBytes(req, maxBodyBytes, declared);
    if (bytes === undefined) return { kind: "unread", refusal: tooLarge };
    const read = readBinaryCloudEvent(req.headers, bytes);
    if (!read.ok) return { kind: "unread", refusal: problem(read.code, read.message, read.issues ? { details: { issues: read.issues } } : {}) };
    return { kind: "items", batch: false, input: read.event, cloudevents: true };
  }

  /** What a publish came to: the JSON text of a success, or the problem. */
  function outcomeOf(outcome: PublishOutcome<Problem>, how: { binary: boolean }): string | Problem {
    switch (outcome.kind) {
      case "accepted":
        return JSON.stringify({ accepted: outcome.accepted.length, items: outcome.accepted });
      case "invalid":
        return how.binary ? binaryProblem(outcome.issues) : validationProblem("body", outcome.issues);
      case "forbidden":
        return { ...outcome.refusal, details: { issues: flattenIssues(outcome.issues) } };
      default:
        return outcome.refusal;
    }
  }

  /**
   * Serves one publish: the outcome as a Response with CORS headers, counted and logged. One async step
   * from the request to the answer (the pipeline's own, which reads the body), since each costs a turn.
   */
  async function answer(route: Route, req: Request, url: URL, server: Server<unknown> | undefined): Promise<Response> {
    let outcome: string | Problem;
    try {
      // The token is checked on every request; the address only when the rate needs it.
      const identified = access.identify(req, url, () => clients.address(req, server));
      // A static token answers at once; only a JSON Web Token is awaited.
      const publisher = identified instanceof Promise ? await identified : identified;
      const how = { binary: false };
      // While the server drains no request reaches this far (shutting-down.ts); the pipeline checks all the same.
      outcome = outcomeOf(await publishing.publish(route.channel, publisher, () => readItems(req, route, how)), how);
    } catch (err) {
      outcome = failureAnswer(err, req.method, route.path, logger);
    }
    const res = typeof outcome === "string"
      ? new Response(outcome, { headers: anyOrigin ?? { ...corsHeaders(origins, req.headers.get("origin")), ...JSON_HEADERS } })
      : problemResponse(outcome, corsHeaders(origins, req.headers.get("origin")));
    metrics.publishAnswered(route.channel, res.status);
    logAnswer(logger, req.method, route.path, res.status, typeof outcome === "string" ? undefined : outcome.message, () => clients.address(req, server));
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

const CLOUDEVENT_TYPES = "application/cloudevents+json, application/cloudevents-batch+json, or binary mode with ce- headers";

/** The 415 for a CloudEvent sent to a channel other than events. */
const notEvents = (route: Route) =>
  problem("unsupported_media_type", `${route.path} takes its own JSON format only; CloudEvents are events: POST them to ${PUBLISH_PATHS.events}`);

/** The 400 for a binary-mode CloudEvent that failed validation, naming the headers (or the body) at fault. */
function binaryProblem(zodIssues: Parameters<typeof binaryIssues>[0]): Problem {
  const issues = binaryIssues(zodIssues);
  const inBody = issues.every((i) => i.path === "(body)");
  return problem(inBody ? "invalid_body" : "invalid_header", `CloudEvent (binary mode) failed validation: ${describeIssues(issues)}`, { details: { issues } });
}
