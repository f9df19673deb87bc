import { z } from "@hono/zod-openapi";
import type { NewEvent } from "../hub/envelope.ts";
import { LOG_LEVELS } from "../log/level.ts";
import type { LogLine } from "../log/line.ts";
import { nestsWithin } from "./depth.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";

/**
 * What a publisher sends. One schema per input validates HTTP bodies and WebSocket publish frames,
 * types the code and generates the OpenAPI document.
 */

/** Event types are dot-separated names; `*` and `,` are reserved for subscription filters. */
export const TYPE_PATTERN = /^[A-Za-z0-9_\-:/]+(\.[A-Za-z0-9_\-:/]+)*$/;

/**
 * Names and ids are text the stores keep as UTF-8: a lone surrogate (JSON allows `"\ud800"`) would come back
 * from SQLite or Redis as U+FFFD, so two such ids would be one idempotency key there and not in memory.
 */
const wellFormed = (text: string) => text.isWellFormed();
const unicode = (what: string) => `${what} must be valid Unicode text (it holds a lone surrogate such as \\ud800)`;

/** Builds the input schemas for a set of limits (once at start-up, never per request). */
export function inputSchemas(limits: Limits = DEFAULT_LIMITS) {
  const name = (what: string) =>
    z
      .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
      .min(1, { error: `${what} must not be empty`, abort: true })
      .max(limits.maxNameLength, `${what} must be at most ${limits.maxNameLength} characters`)
      .refine(wellFormed, unicode(what));
  /** Free-form JSON, bounded in depth: deeper values would overflow the stack when serialised. */
  const nested = <T extends z.ZodType>(schema: T, what: string) =>
    schema.refine((v) => nestsWithin(v, limits.maxDepth), `${what} nests deeper than ${limits.maxDepth} levels of objects and arrays (--max-depth)`);

  /**
   * A JSON object taken as sent, like `data`. Not `z.record`: its output is a copy built by assignment,
   * which drops a key named `__proto__` (it would set the copy's prototype), so the stored line would
   * silently differ from the accepted one.
   */
  const jsonObject = (what: string) =>
    z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), `${what} must be a JSON object`);

  // An event's fields, shared by stream-server's own format and the CloudEvents one (which requires some).
  const type = name("type")
    .regex(TYPE_PATTERN, "type must be dot-separated words of letters, digits, _ - : / (no spaces, * or ,)")
    .openapi({ example: "order.filled" });
  const source = name("source");
  const id = z.string().min(1).max(200).refine(wellFormed, unicode("id"));
  const ID_DOC = "Unique id, the idempotency key: an id the channel's history still holds is answered as a duplicate, not stored again";
  const time = z.iso.datetime({ offset: true, error: "time must be an ISO 8601 date-time, e.g. 2026-01-02T03:04:05Z" });
  const data = nested(z.unknown(), "data");

  const EventInput = z
    .strictObject({
      type,
      source: source.optional().openapi({ example: "strategy/alpha" }),
      id: id.optional().openapi({ description: `${ID_DOC}; generated (UUID) when missing` }),
      time: time.optional().openapi({ description: "When it happened; the server's receive time when missing" }),
      data: data.optional().openapi({ example: { qty: 5, price: 101.25 } }),
    }, { error: cloudEventHint })
    .openapi("EventInput");

  const CloudEventInput = z
    .object({
      specversion: z
        .literal(CLOUDEVENTS_VERSION, {
          error: (issue) =>
            issue.input === undefined
              ? `specversion is required: "${CLOUDEVENTS_VERSION}"`
              : `specversion must be "${CLOUDEVENTS_VERSION}" (CloudEvents 1.0), got ${JSON.stringify(issue.input)}`,
        })
        .openapi({ example: CLOUDEVENTS_VERSION }),
      id: id.openapi({ description: ID_DOC, example: "fill-7731" }),
      source: source.openapi({ example: "/strategy/alpha" }),
      type,
      time: time.optional().openapi({ description: "When it happened (RFC 3339); the server's receive time when missing" }),
      subject: name("subject").optional().openapi({ example: "order/7731" }),
      datacontenttype: z
        .string()
        .regex(MEDIA_TYPE, "datacontenttype must be a media type, e.g. application/json")
        .max(200)
        .optional()
        .openapi({ example: "application/json" }),
      dataschema: z.url({ error: "dataschema must be an absolute URI" }).max(2048).optional(),
      data: data.optional().openapi({ example: { qty: 5, price: 101.25 } }),
      data_base64: z
        .base64({ error: "data_base64 must be base64 (RFC 4648)" })
        .optional()
        .openapi({ description: "Binary data, base64-encoded; kept as is in the frame, in place of `data`" }),
    })
    .catchall(
      z
        .union([
          z.string().max(limits.maxNameLength, `an extension attribute's value must be at most ${limits.maxNameLength} characters (--max-name-length)`),
          z.boolean(),
          z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
        ], {
          error: `an extension attribute's value is a string (at most ${limits.maxNameLength} characters), a boolean or a 32-bit integer (CloudEvents type system)`,
        })
        .openapi({ description: "Extension attributes: names of lower-case letters a–z and digits 0–9, kept in the frame" }),
    )
    .superRefine((ce, ctx) => {
      if (ce.data !== undefined && ce.data_base64 !== undefined) {
        ctx.addIssue({ code: "custom", path: ["data_base64"], message: "send data or data_base64, not both" });
      }
      for (const key of Object.keys(ce)) {
        if (Object.hasOwn(CLOUDEVENT_KEYS, key)) continue; // not `in`: "__proto__" must be judged like any other name
        const broken = extensionNameProblem(key);
        if (broken) ctx.addIssue({ code: "custom", path: [key], message: broken });
      }
      // Also when other fields failed: an answer should name every problem at once, a bad name included.
    }, { when: (payload) => typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value) })
    .openapi("CloudEventInput", { description: "One event in the CloudEvents 1.0 JSON format (`Content-Type: application/cloudevents+json`)" });

  const LogInput = z
    .object({
      level: z.enum(LOG_LEVELS, { error: `level must be one of ${LOG_LEVELS.join(", ")}` }).openapi({ example: "warn" }),
      message: z.string().min(1, "message must not be empty").max(64 * 1024).openapi({ example: "risk limit at 90%" }),
      source: name("source").optional().openapi({ example: "risk-engine" }),
      fields: nested(jsonObject("fields"), "fields")
        .optional()
        .openapi({ type: "object", additionalProperties: {}, example: { strategy: "alpha", used: 0.9 } }),
      time: z.iso.datetime({ offset: true, error: "time must be an ISO 8601 date-time" }).optional(),
    })
    .strict()
    .openapi("LogInput");

  const batchOf = <T extends z.ZodType>(item: T, what: string) =>
    z
      .array(item)
      .min(1, `a batch must hold at least one ${what}`)
      .max(limits.maxBatch, `a batch holds at most ${limits.maxBatch} ${what}s`);
  const EventBatch = batchOf(EventInput, "event");
  // The CloudEvents JSON batch format allows an empty batch: it is answered with nothing accepted.
  const CloudEventBatch = z
    .array(CloudEventInput)
    .max(limits.maxBatch, `a batch holds at most ${limits.maxBatch} events`)
    .openapi("CloudEventBatch", { description: "Events in the CloudEvents 1.0 JSON batch format (`Content-Type: application/cloudevents-batch+json`)" });
  const LogBatch = batchOf(LogInput, "log line");

  return {
    EventInput,
    LogInput,
    /** A batch alone (WebSocket publish frames say which they send, HTTP bodies show it); the same limits as in EventPublish. */
    EventBatch,
    LogBatch,
    CloudEventInput,
    CloudEventBatch,
    EventPublish: z.union([EventInput, EventBatch]).openapi("EventPublish"),
    LogPublish: z.union([LogInput, LogBatch]).openapi("LogPublish"),
  };
}

export type InputSchemas = ReturnType<typeof inputSchemas>;

/** The CloudEvents version accepted (`specversion`). */
export const CLOUDEVENTS_VERSION = "1.0";

/** RFC 2046 `type/subtype`, parameters allowed: enough to refuse what is plainly not a media type. */
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/;

/**
 * A CloudEvent sent as plain JSON is refused like any unknown key (the own format stays strict, so a typo
 * is never dropped silently), with a word on how to send it; any other issue keeps zod's wording.
 */
function cloudEventHint(issue: { code?: string; keys?: string[] }): string | undefined {
  if (issue.code !== "unrecognized_keys" || !issue.keys?.includes("specversion")) return undefined;
  return `Unrecognized keys: ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; a CloudEvent? POST it to /api/events with "Content-Type: application/cloudevents+json"`;
}

/** The attributes CloudEvents itself defines; any other key of a CloudEvent is an extension attribute. */
const CLOUDEVENT_KEYS = {
  specversion: 1, id: 1, source: 1, type: 1, time: 1, subject: 1, datacontenttype: 1, dataschema: 1, data: 1, data_base64: 1,
} as const;

/** Frame fields of stream-server's own: an extension of that name would collide with them in the frame. */
const FRAME_KEYS = new Set(["kind", "seq"]);

/**
 * Why an extension attribute's name is refused, or undefined. CloudEvents 1.0: names MUST be lower-case
 * letters a–z or digits 0–9 (and SHOULD NOT exceed 20 characters: longer ones are accepted, as the spec allows).
 */
export function extensionNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9]+$/.test(name)) {
    return `extension attribute ${JSON.stringify(name)} is not a CloudEvents attribute name: lower-case letters a–z and digits 0–9 only`;
  }
  if (FRAME_KEYS.has(name)) return `extension attribute ${JSON.stringify(name)} would collide with the frame's own "${name}": rename it`;
  return undefined;
}

/**
 * `Output` itself, once the compiler has checked that it fits `Core`. The schemas stay the one source of
 * the rules; the core names only the shape it works with, and a schema change that breaks it fails here.
 */
type Fits<Output extends Core, Core> = Output;

export type EventInput = Fits<z.infer<InputSchemas["EventInput"]>, NewEvent>;
export type LogInput = Fits<z.infer<InputSchemas["LogInput"]>, LogLine>;
export type CloudEventInput = z.infer<InputSchemas["CloudEventInput"]>;
