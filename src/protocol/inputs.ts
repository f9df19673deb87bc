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

/** Builds the input schemas for a set of limits (once at start-up, never per request). */
export function inputSchemas(limits: Limits = DEFAULT_LIMITS) {
  const name = (what: string) =>
    z
      .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
      .min(1, { error: `${what} must not be empty`, abort: true })
      .max(limits.maxNameLength, `${what} must be at most ${limits.maxNameLength} characters`);
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

  const EventInput = z
    .object({
      type: name("type")
        .regex(TYPE_PATTERN, "type must be dot-separated words of letters, digits, _ - : / (no spaces, * or ,)")
        .openapi({ example: "order.filled" }),
      source: name("source").optional().openapi({ example: "strategy/alpha" }),
      id: z.string().min(1).max(200).optional().openapi({ description: "Unique id, the idempotency key: an id the channel's history still holds is answered as a duplicate, not stored again; generated (UUID) when missing" }),
      time: z.iso
        .datetime({ offset: true, error: "time must be an ISO 8601 date-time, e.g. 2026-01-02T03:04:05Z" })
        .optional()
        .openapi({ description: "When it happened; the server's receive time when missing" }),
      data: nested(z.unknown(), "data").optional().openapi({ example: { qty: 5, price: 101.25 } }),
    })
    .strict()
    .openapi("EventInput");

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
  const LogBatch = batchOf(LogInput, "log line");

  return {
    EventInput,
    LogInput,
    /** A batch alone (WebSocket publish frames say which they send, HTTP bodies show it); the same limits as in EventPublish. */
    EventBatch,
    LogBatch,
    EventPublish: z.union([EventInput, EventBatch]).openapi("EventPublish"),
    LogPublish: z.union([LogInput, LogBatch]).openapi("LogPublish"),
  };
}

export type InputSchemas = ReturnType<typeof inputSchemas>;

/**
 * `Output` itself, once the compiler has checked that it fits `Core`. The schemas stay the one source of
 * the rules; the core names only the shape it works with, and a schema change that breaks it fails here.
 */
type Fits<Output extends Core, Core> = Output;

export type EventInput = Fits<z.infer<InputSchemas["EventInput"]>, NewEvent>;
export type LogInput = Fits<z.infer<InputSchemas["LogInput"]>, LogLine>;
