import { z } from "@hono/zod-openapi";
import type { Channel } from "../../hub/channels.ts";
import type { App, AppDeps } from "../deps.ts";
import { errorResponses } from "../error-docs.ts";
import { securityOf } from "../security-docs.ts";

const PublishResult = z
  .object({
    accepted: z.number().int().openapi({ example: 1, description: "How many items this answer covers (duplicates included)" }),
    items: z
      .array(
        z.object({
          seq: z.number().int(),
          id: z.string().optional(),
          duplicate: z.literal(true).optional().openapi({
            description: "The channel's history already held this `id`: nothing was stored or delivered, `seq` is the stored event's",
          }),
        }),
      )
      .openapi({ description: "The seq (and, for events, id) each item got, in the order sent" }),
  })
  .openapi("PublishResult");

/** The CloudEvents media types POST /api/events takes, documented from their schemas. */
const cloudEventContent = (schemas: AppDeps["schemas"]) => ({
  "application/cloudevents+json": {
    schema: schemas.CloudEventInput,
    example: {
      specversion: "1.0", id: "fill-7731", source: "/strategy/alpha", type: "order.filled", subject: "order/7731",
      datacontenttype: "application/json", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", data: { qty: 5 },
    },
  },
  "application/cloudevents-batch+json": {
    schema: schemas.CloudEventBatch,
    example: [{ specversion: "1.0", id: "fill-7731", source: "/strategy/alpha", type: "order.filled", data: { qty: 5 } }],
  },
});

/** The HTTP publish route of each channel. */
export const PUBLISH_PATHS: Readonly<Record<Channel, string>> = { events: "/api/events", logs: "/api/logs" };

/**
 * Documents POST /api/events and POST /api/logs: one item or a batch, validated by the same schema as
 * WebSocket input. They are served ahead of Hono, by `../publish-endpoint.ts`, for speed.
 */
export function registerPublishDocs(app: App, { schemas, config }: AppDeps) {
  const channels = [
    {
      path: PUBLISH_PATHS.events,
      operationId: "publishEvents",
      tag: "events",
      schema: schemas.EventPublish,
      summary: "Publish one event or a batch",
      description: `Delivers each event to every subscriber of \`/ws\` and \`/api/stream\`. A batch is an array of at most ${config.maxBatch} events; each gets the next seq, in order. ` +
        "Idempotent by `id`: an event whose `id` the history still holds is not stored or delivered again; its answer item carries the " +
        "stored event's `seq` and `duplicate: true` (each item of a batch is judged on its own, in order).\n\n" +
        "**CloudEvents 1.0** are taken too: `Content-Type: application/cloudevents+json` (one event) or " +
        "`application/cloudevents-batch+json` (an array, which may be empty), with `specversion` \"1.0\", `id` and `source` required; or " +
        "binary mode: any Content-Type (it becomes `datacontenttype`), the attributes as `ce-` headers (`ce-specversion: 1.0`, `ce-id`, " +
        "`ce-source`, `ce-type`, …, percent-encoded) and the data as the body (JSON for a JSON type, text for `text/*`, else kept as " +
        "`data_base64`). Their other attributes and extensions (names of a–z and 0–9) are kept in the frame, before `data`. " +
        "Plain `application/json` is stream-server's own format and refuses keys it does not know, as before.",
      example: { type: "order.filled", source: "strategy/alpha", data: { qty: 5 } },
      cloudevents: true,
    },
    {
      path: PUBLISH_PATHS.logs,
      operationId: "publishLogs",
      tag: "logs",
      schema: schemas.LogPublish,
      summary: "Publish one log line or a batch",
      description: `Delivers each line to every subscriber of \`/ws/logs\`. A batch is an array of at most ${config.maxBatch} lines.`,
      example: { level: "warn", message: "risk limit at 90%", source: "risk-engine", fields: { used: 0.9 } },
    },
  ];

  for (const ch of channels) {
    app.openAPIRegistry.registerPath({
      method: "post",
      path: ch.path,
      operationId: ch.operationId,
      tags: [ch.tag],
      security: securityOf("post", ch.path),
      summary: ch.summary,
      description: ch.description,
      request: {
        body: {
          required: true,
          content: {
            "application/json": { schema: ch.schema, example: ch.example },
            ...(ch.cloudevents ? cloudEventContent(schemas) : {}),
          },
        },
      },
      responses: {
        200: { description: "Stored and delivered", content: { "application/json": { schema: PublishResult } } },
        ...errorResponses("post", ch.path, ["bad_json", "invalid_body", "body_too_large", "unsupported_media_type", "rate_limited", "unavailable"]),
      },
    });
  }
}
