import { z } from "@hono/zod-openapi";
import { CHANNELS } from "../hub/channels.ts";
import { RESET_REASONS } from "../hub/resume.ts";
import { FRAME_ERROR_CODES, type FrameErrorCode } from "./errors.ts";
import { fastSafeParse } from "./fast-validator.ts";
import { StreamPermissions } from "./permissions.ts";
import { LOG_LEVELS } from "../log/level.ts";
import type { InputSchemas } from "./inputs.ts";

/**
 * The wire protocol: every frame is one JSON object with a `kind`. Server frames are documented
 * here (and in the OpenAPI document); client frames are parsed by `parseClientFrame`.
 */

export const HelloFrame = z
  .object({
    kind: z.literal("hello"),
    channel: z.enum(CHANNELS),
    path: z.string().openapi({ example: "/api/stream" }),
    epoch: z.string().openapi({ description: "Names this lifetime of the channel's history", example: "3f9c2a1b" }),
    seq: z.number().int().openapi({ description: "The channel's latest seq at connect time: live frames follow it" }),
    version: z.string(),
    resume: z
      .object({
        since: z.number().int().openapi({ description: "The seq the replay follows: your `since`, or the seq just before your `since_time`" }),
        since_time: z.string().optional().openapi({ description: "The time a `?since_time=` replay starts at (ISO 8601, UTC)" }),
        complete: z.boolean().openapi({ description: "True when every frame after `since` follows; false when a `reset` says what is missing" }),
      })
      .optional()
      .openapi({ description: "Present when the client asked to resume (`?since=`) or to start at a time (`?since_time=`)" }),
  })
  .openapi("HelloFrame");

export const ResetFrame = z
  .object({
    kind: z.literal("reset"),
    reason: z.enum(RESET_REASONS).openapi({
      description: "history_exceeded: the history no longer holds what you missed; epoch_changed: the stream was recreated; since_ahead: your since is beyond this stream's end",
    }),
    message: z.string(),
    epoch: z.string().openapi({ description: "The current epoch: resume with it from now on" }),
    since: z.number().int().openapi({ description: "The since you asked for" }),
    next: z.number().int().openapi({ description: "The seq the stream continues with" }),
    lost: z.object({ from: z.number().int(), to: z.number().int() }).optional().openapi({ description: "The seqs that are gone" }),
  })
  .openapi("ResetFrame");

export const EventFrame = z
  .object({
    kind: z.literal("event"),
    seq: z.number().int().openapi({ description: "Per-channel sequence number: strictly increasing, no gaps" }),
    id: z.string(),
    type: z.string(),
    source: z.string(),
    time: z.string().openapi({ description: "ISO 8601" }),
    specversion: z.string().optional().openapi({ description: "Published as a CloudEvent: \"1.0\". The frame minus `kind` and `seq` is then that CloudEvent in its JSON format" }),
    subject: z.string().optional().openapi({ description: "CloudEvents `subject`, when the publisher sent one" }),
    datacontenttype: z.string().optional().openapi({ description: "CloudEvents `datacontenttype` (binary mode: the request's Content-Type)" }),
    dataschema: z.string().optional().openapi({ description: "CloudEvents `dataschema`" }),
    data: z.unknown().openapi({ description: "The event's data (null when none was sent); absent when `data_base64` holds it" }),
    data_base64: z.string().optional().openapi({ description: "A CloudEvent's binary data, base64-encoded, in place of `data`" }),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean()]).openapi({ description: "A CloudEvent's extension attributes, as published" }))
  .openapi("EventFrame", {
    description: "Keys in this order: kind, seq, id, type, source, time, a CloudEvent's other attributes (if any), then data (or data_base64) last",
  });

export const LogFrame = z
  .object({
    kind: z.literal("log"),
    seq: z.number().int(),
    time: z.string(),
    level: z.enum(LOG_LEVELS),
    message: z.string(),
    source: z.string(),
    fields: z.record(z.string(), z.unknown()),
  })
  .openapi("LogFrame");

export const CheckpointFrame = z
  .object({
    kind: z.literal("checkpoint"),
    seq: z.number().int().openapi({ description: "Every frame up to this seq that your filter matches has been sent: resume with `since` = this seq" }),
  })
  .openapi("CheckpointFrame", {
    description: "Filtered subscribers only (`types=`, `level=`, `source=`): the channel moved on without a match for `--checkpoint-ms`. A position, not an event",
  });

export const PongFrame = z.object({ kind: z.literal("pong"), id: z.unknown().optional() }).openapi("PongFrame");

/** The codes an `error` frame carries: the catalogue's frame codes (`./errors.ts`). */
export const ERROR_CODES = FRAME_ERROR_CODES;

export const ErrorFrame = z
  .object({
    kind: z.literal("error"),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    id: z.union([z.string(), z.number()]).optional().openapi({ description: "The `ack` id of the publish frame this answers, when it had one" }),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "invalid_event: each validation failure, the field path (e.g. `events.3.type`) and what is wrong; forbidden: each event whose type the token may not publish" }),
  })
  .openapi("ErrorFrame");

/** A publisher's receipt for a publish frame that asked for one (`ack`). */
export const AckFrame = z
  .object({
    kind: z.literal("ack"),
    id: z.union([z.string(), z.number()]).openapi({ description: "The publish frame's `ack` value" }),
    seqs: z.array(z.number().int()).openapi({ description: "The seq each event got, in the order sent (a duplicate's: the stored event's)" }),
    duplicates: z
      .array(z.number().int())
      .optional()
      .openapi({
        description: "Present when some events were duplicates: their indexes in `seqs` (0-based, the order sent). Their `id` was already held: not stored or delivered again",
      }),
  })
  .openapi("AckFrame");

/** Client → server frames. */
export const PingFrame = z
  .object({ kind: z.literal("ping"), id: z.union([z.string(), z.number()]).optional() })
  .openapi("PingFrame");

const AckId = z.union([z.string().max(200), z.number()]);

/** Replaces the connection's expiring JSON Web Token; the new one must allow the current subscription. */
export const RefreshFrame = z
  .object({
    kind: z.literal("refresh"),
    token: z.string().min(1).max(16_384).openapi({ description: "A fresh token (a JSON Web Token, or a static token)" }),
  })
  .strict()
  .openapi("RefreshFrame", {
    description: "Send before the connection's token expires: it is closed with 4001 at expiry unless a valid token that allows its subscription replaced it",
  });

/** The answer to an accepted refresh frame. */
export const RefreshedFrame = z
  .object({
    kind: z.literal("refreshed"),
    sub: z.string().optional().openapi({ description: "The new token's sub" }),
    expires: z.string().optional().openapi({ description: "When the new token expires (ISO 8601); absent: it does not" }),
    permissions: StreamPermissions.optional().openapi({ description: "The new token's permissions, as the server read them (absent for a static token: everything)" }),
  })
  .openapi("RefreshedFrame");

/** The publish frame's shape around whatever validates its events. */
const publishFrame = <E extends z.ZodType, B extends z.ZodType>(event: E, events: B) =>
  z
    .object({
      kind: z.literal("publish"),
      event: event.optional().openapi({ description: "One event; send either `event` or `events`" }),
      events: events.optional().openapi({ description: "A batch of events, each getting the next seq, in order (at most --max-batch)" }),
      ack: AckId.optional().openapi({ description: "Ask for an `ack` frame carrying this id and the seqs; errors always come back, with this id" }),
    })
    .strict();

/**
 * Publishes over the WebSocket, without an HTTP request per event: `event` (one) or `events` (a batch).
 * Only the envelope is checked here; the events themselves by the same schemas and limits as
 * `POST /api/events` (see `src/ws/ingest.ts`), so they are `unknown` at this stage.
 */
export const PublishFrame = publishFrame(z.unknown(), z.unknown());
export type PublishFrame = z.infer<typeof PublishFrame>;

/** PublishFrame as documented: its events typed by the running server's input schemas (its limits). */
export function publishFrameDoc(schemas: InputSchemas) {
  return publishFrame(schemas.EventInput, z.array(schemas.EventInput)).openapi("PublishFrame");
}

export const ClientFrame = z.discriminatedUnion("kind", [PingFrame, PublishFrame, RefreshFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/**
 * The outcome of reading one client frame: a known frame, or the error frame to answer with and, when
 * the frame named a known kind, that kind (a malformed publish frame is still a publish, for metrics).
 */
export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: FrameErrorCode; message: string; kind?: ClientFrame["kind"] };

const KNOWN_KINDS = ClientFrame.options.map((o) => o.shape.kind.value);
const parseFrame = fastSafeParse(ClientFrame);

/** Parses a client text frame; never throws. */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: "bad_json", message: 'frames must be JSON, e.g. {"kind":"ping"}' };
  }
  const kind = value && typeof value === "object" && !Array.isArray(value) ? (value as { kind?: unknown }).kind : undefined;
  if (typeof kind !== "string" || !(KNOWN_KINDS as string[]).includes(kind)) {
    return {
      ok: false,
      code: "unsupported",
      message: `unsupported frame${typeof kind === "string" ? ` kind "${kind.slice(0, 64)}"` : " (no kind)"}; known kinds: ${KNOWN_KINDS.join(", ")}`,
    };
  }
  const parsed = parseFrame(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, kind: kind as ClientFrame["kind"], code: "bad_frame", message: `invalid ${kind} frame: ${issue?.path.join(".") || "frame"}: ${issue?.message}` };
  }
  return { ok: true, frame: parsed.data };
}

/** A server control frame (anything but event and log frames). */
export type ControlFrame =
  | z.input<typeof HelloFrame>
  | z.input<typeof ResetFrame>
  | z.input<typeof PongFrame>
  | z.input<typeof CheckpointFrame>
  | z.input<typeof ErrorFrame>
  | z.input<typeof AckFrame>
  | z.input<typeof RefreshedFrame>;

/** Serialises a server control frame (hello, reset, checkpoint, pong, ack, refreshed, error). Data frames come pre-serialised from the hub. */
export function controlFrame(frame: ControlFrame): string {
  return JSON.stringify(frame);
}
