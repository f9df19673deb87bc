import { z } from "@hono/zod-openapi";
import type { SubscribeRequest } from "../hub/catchup.ts";
import type { Channel } from "../hub/channels.ts";
import { eventFilter, logFilter, type Filter } from "../hub/filter.ts";
import { LOG_LEVELS } from "../log/level.ts";
import { closedQuery } from "./closed-query.ts";
import { TYPE_PATTERN } from "./inputs.ts";
import { parseSinceTime, SINCE_TIME_HINT } from "./since-time.ts";

/**
 * Query parameters of every subscription (WebSocket upgrade, SSE) and history read: one zod schema per
 * channel validates them, types them and documents them in the OpenAPI document. Each refuses a
 * parameter it does not know (besides `token`), so a typo is an error rather than an ignored filter.
 */

const MAX_PATTERNS = 32;

/** A repeated parameter (`?types=a&types=b`) means the same as a comma-separated one. */
const joined = (v: unknown) => (Array.isArray(v) ? v.join(",") : v);

/**
 * A whole number from `min` to `max` in a query string or header. It arrives as text, so the text is
 * checked (no `1e3`, no empty string read as 0); the document says integer, with the same bounds.
 */
const wholeNumber = (min: number, max: number, notWhole: string, tooBig = notWhole) =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${String(max).length}}$`), notWhole)
    .transform(Number)
    .pipe(z.number().min(min, notWhole).max(max, tooBig))
    .openapi({ type: "integer", minimum: min, maximum: max });

/** The largest seq a query accepts: 15 digits, within what a JavaScript number holds exactly. */
const MAX_SEQ = 10 ** 15 - 1;

const seq = (what: string) => wholeNumber(0, MAX_SEQ, `${what} must be a whole number (a seq from 0 up)`);

const list = (what: string, valid: (item: string) => boolean, hint: string) =>
  z.preprocess(
    joined,
    z
      .string()
      .transform((s) => s.split(",").map((item) => item.trim()).filter(Boolean))
      .pipe(
        z
          .array(z.string().max(256).refine(valid, { error: (issue) => `${what} ${JSON.stringify(issue.input)} is not valid: ${hint}` }))
          .max(MAX_PATTERNS, `at most ${MAX_PATTERNS} ${what}s`),
      ),
    ).openapi({ type: "string" });

/** One `types=` pattern: an exact type, `prefix.*`, or `*` (token permissions use the same rule). */
export const TYPE_FILTER = new RegExp(`^(\\*|${TYPE_PATTERN.source.slice(1, -1)}(\\.\\*)?)$`);

// No `example` on any parameter: Swagger UI fills a parameter's example in as its value, so a try-out
// would send a filter nobody asked for. Examples go in the description.
const since = seq("since").optional().openapi({
  description: "Resume: the last seq you received (e.g. 41); every frame after it that the history holds comes first, then live ones",
});
const epoch = z
  .string()
  .regex(/^[\w-]{1,64}$/, "epoch must be the epoch from a hello frame, e.g. 3f9c2a1b")
  .optional()
  .openapi({ description: "The epoch your `since` (or Last-Event-ID) belongs to, from `hello`; if the stream was recreated you get a `reset`. Ignored without a resume point" });

// Read when the request arrives: a relative time counts back from then.
const sinceTime = z
  .string()
  .transform(function sinceTimeOf(text, ctx) {
    const ms = parseSinceTime(text, Date.now());
    if (ms === undefined) ctx.issues.push({ code: "custom", input: text, message: SINCE_TIME_HINT });
    return ms ?? 0;
  })
  .optional()
  .openapi({
    type: "string",
    description:
      "Start at a time instead of a seq: from the first frame the history holds that the server received at or after it " +
      "(its receive time, not the event's own `time`). " +
      "An ISO 8601 date-time with an offset (e.g. `2026-12-03T10:00:00Z`) or a time before now: `-30s`, `-15m`, `-2h`, `-7d`. " +
      "Not with `since`; if the history no longer reaches back that far, a `reset` (`history_exceeded`) says so",
  });

/** `since` and `since_time` name two different starts: asking for both is refused rather than one silently winning. */
function oneStart(ctx: z.core.ParsePayload<{ since?: unknown; since_time?: unknown }>) {
  if (ctx.value.since === undefined || ctx.value.since_time === undefined) return;
  ctx.issues.push({
    code: "custom",
    input: ctx.value,
    path: ["since_time"],
    message: "since and since_time cannot be used together: since resumes after a seq, since_time starts at a time; pass one of them",
  });
}

const types = list("type pattern", (t) => TYPE_FILTER.test(t), "use exact types (order.filled), prefix wildcards (order.*) or *").optional().openapi({
  description:
    "Only these event types: comma-separated exact types and `prefix.*` wildcards (`order.*` = every type starting with `order.`), " +
    "e.g. `order.*,strategy.started`; unset: every type",
});
const level = z
  .enum(LOG_LEVELS, { error: `level must be one of ${LOG_LEVELS.join(", ")}` })
  .optional()
  .openapi({ description: "Only log lines of this level and above (e.g. `warn`: warn and error); unset: every level" });
const source = list("source", (s) => s.length > 0, "sources are non-empty names").optional().openapi({
  description: "Only log lines from these sources (comma-separated, e.g. `risk-engine`); unset: every source",
});

/** The header an SSE client (EventSource) sends when it reconnects: the id (seq) of the last message it got. */
export const LastEventIdHeader = z.object({
  "last-event-id": seq("Last-Event-ID").optional().openapi({
    description: "Sent by EventSource on reconnect: resume after this seq (wins over `since`)",
  }),
});

/** `?since&since_time&epoch&types` on the event paths. */
export const EventStreamQuery = closedQuery({ since, since_time: sinceTime, epoch, types }).check(oneStart);
/** `?since&since_time&epoch&level&source` on the log path. */
export const LogStreamQuery = closedQuery({ since, since_time: sinceTime, epoch, level, source }).check(oneStart);

export type EventStreamQuery = z.output<typeof EventStreamQuery>;
export type LogStreamQuery = z.output<typeof LogStreamQuery>;

/** The subscription query schema of a channel. */
export function streamQuery(channel: Channel) {
  return channel === "events" ? EventStreamQuery : LogStreamQuery;
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
// Defaults (unlike examples) may show as values in a try-out: they ask for what an absent parameter does.
// The generator leaves out the default of a transformed schema, hence the `default` spelled out.
const limit = wholeNumber(1, MAX_PAGE, `limit must be a whole number from 1 to ${MAX_PAGE}`, `limit must be at most ${MAX_PAGE}`)
  .default(DEFAULT_PAGE)
  .openapi({ default: DEFAULT_PAGE, description: "Most frames in the answer" });
// Optional rather than defaulted, so that `since` with `since_time` is told apart from `since_time` alone.
const historySince = seq("since").optional().openapi({
  default: 0,
  description: "Frames after this seq (0: from the oldest held); pass the answer's `next` to get the following page",
});

/** `?since&since_time&limit&types` on GET /api/events. */
export const EventHistoryQuery = closedQuery({ since: historySince, since_time: sinceTime, limit, types }).check(oneStart);
/** `?since&since_time&limit&level&source` on GET /api/logs. */
export const LogHistoryQuery = closedQuery({ since: historySince, since_time: sinceTime, limit, level, source }).check(oneStart);

/** The filter a validated query asks for. */
export function filterOf(channel: Channel, query: { types?: string[]; level?: (typeof LOG_LEVELS)[number]; source?: string[] }): Filter {
  return channel === "events" ? eventFilter(query.types ?? []) : logFilter(query.level, query.source);
}

/** Turns a validated query into what the hub subscribes; `lastEventId` (SSE reconnect) wins over `since` and `since_time`. */
export function subscribeRequest(channel: Channel, query: EventStreamQuery | LogStreamQuery, lastEventId?: number): SubscribeRequest {
  const filter = filterOf(channel, query);
  const since = lastEventId ?? query.since;
  if (since !== undefined) return { channel, filter, resume: { since, epoch: query.epoch } };
  return { channel, filter, ...(query.since_time !== undefined ? { sinceTime: query.since_time } : {}) };
}

/** Parses a query string outside Hono (the WebSocket upgrade): the request, or the zod error. */
export function parseStreamQuery(channel: Channel, params: URLSearchParams) {
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    raw[key] = values.length === 1 ? values[0]! : values;
  }
  const parsed = streamQuery(channel).safeParse(raw);
  return parsed.success ? { ok: true as const, request: subscribeRequest(channel, parsed.data) } : { ok: false as const, error: parsed.error };
}
