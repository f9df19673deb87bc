import type { LogLine } from "../log/line.ts";

/**
 * An envelope is serialised exactly once. A fresh draft holds the frame as an object whose seq is still
 * open; the broker that assigns the seq fills it in and serialises the whole frame in one
 * `JSON.stringify` (measured about twice as fast as concatenating a pre-serialised tail, which leaves a
 * rope to flatten on every publish). A draft read back from Redis or disk holds the frame's JSON after
 * the seq instead. Either way: no per-subscriber or per-seq work beyond that.
 */
export interface Draft {
  kind: "event" | "log";
  /** The frame to be, its seq set by `sequence` (fresh drafts). */
  body?: EventFrameBody | LogFrameBody;
  /** JSON text that follows `"seq":N` in the frame, starting with `,` and ending with `}` (stored drafts). */
  tail?: string;
  /** What filters match on: the event type, or the log level. */
  key: string;
  source: string;
  /** When the server accepted it (ms since the Unix epoch); history max-age counts from here. */
  time: number;
  /**
   * The id the publisher chose: the idempotency key, which stores index and look up. Absent when the server
   * made the id up (the frame holds that UUID): a UUID made here cannot be held already, and indexing
   * random ids cost a SQLite index write and a Redis sorted-set insert per event for nothing.
   */
  id?: string;
}

/**
 * An event frame's fields, in wire order: kind, seq, id, type, source, time, then a CloudEvent's other
 * attributes (if any), then `data` (or `data_base64`) last.
 */
interface EventFrameBody {
  kind: "event";
  seq: number;
  id: string;
  type: string;
  source: string;
  time: string;
  data?: unknown;
  [attribute: string]: unknown;
}

/** A log frame's fields, in wire order. */
interface LogFrameBody {
  kind: "log";
  seq: number;
  time: string;
  level: string;
  message: string;
  source: string;
  fields: unknown;
}

/**
 * A stored, sequenced envelope: the frame text every subscriber receives. It keeps the frame, not the
 * draft's body or tail: history holds thousands of entries, and the frame already contains them.
 */
export interface Entry extends Omit<Draft, "tail" | "body"> {
  seq: number;
  frame: string;
}

/**
 * An event as a publisher gives it, before the server fills in what is missing. The core's own shape:
 * the protocol's `EventInput` schema validates the wire and its output is checked to fit this.
 */
export interface NewEvent {
  type: string;
  source?: string;
  /** Unique id; a UUID when missing. */
  id?: string;
  /** ISO 8601 date-time; the server's receive time when missing. */
  time?: string;
  data?: unknown;
  /**
   * A CloudEvent's attributes beyond the ones above (`specversion`, `subject`, `datacontenttype`,
   * `dataschema`, extensions), kept in the frame between `time` and `data`, in this object's order.
   */
  attributes?: Record<string, string | number | boolean>;
  /** A CloudEvent's binary data, base64-encoded: the frame carries it as `data_base64`, in place of `data`. */
  dataBase64?: string;
}

const DEFAULT_SOURCE = "api";

/** Builds an event draft; `now` is computed once per publish call, not per event. */
export function eventDraft(input: NewEvent, now: Clock): Draft {
  const source = input.source ?? DEFAULT_SOURCE;
  // Always the same keys in the same order: one object shape for every event frame.
  const body: EventFrameBody = input.attributes === undefined && input.dataBase64 === undefined
    ? { kind: "event", seq: 0, id: input.id ?? crypto.randomUUID(), type: input.type, source, time: input.time ?? now.iso, data: input.data ?? null }
    : cloudEventBody(input, source, now);
  return input.id === undefined ? { kind: "event", body, key: input.type, source, time: now.ms } : { kind: "event", body, key: input.type, source, time: now.ms, id: input.id };
}

/** A CloudEvent's frame body: the same leading fields, its other attributes, then its data or data_base64 last. */
function cloudEventBody(input: NewEvent, source: string, now: Clock): EventFrameBody {
  const body: EventFrameBody = { kind: "event", seq: 0, id: input.id ?? crypto.randomUUID(), type: input.type, source, time: input.time ?? now.iso };
  if (input.attributes) Object.assign(body, input.attributes);
  if (input.dataBase64 !== undefined) body.data_base64 = input.dataBase64;
  else body.data = input.data ?? null;
  return body;
}

/** The id of a fresh event draft's frame, whoever chose it (what the publisher is answered). */
export function eventIdOf(draft: Draft): string | undefined {
  return draft.body?.kind === "event" ? draft.body.id : draft.id;
}

/** Builds a log-line draft. */
export function logDraft(input: LogLine, now: Clock): Draft {
  const source = input.source ?? DEFAULT_SOURCE;
  const body: LogFrameBody = { kind: "log", seq: 0, time: input.time ?? now.iso, level: input.level, message: input.message, source, fields: input.fields ?? {} };
  return { kind: "log", body, key: input.level, source, time: now.ms };
}

/** Gives a draft its place in the stream. */
export function sequence(draft: Draft, seq: number): Entry {
  // Spelled out rather than spread: one object shape per kind, and no reference to the body or tail.
  const { kind, key, source, time, id, body } = draft;
  let frame: string;
  if (body) {
    body.seq = seq;
    frame = JSON.stringify(body);
  } else {
    frame = `{"kind":"${kind}","seq":${seq}${draft.tail}`;
  }
  return id === undefined ? { kind, key, source, time, seq, frame } : { kind, key, source, time, id, seq, frame };
}

/** The JSON tail of a stored entry (its frame after `"seq":N`), for stores that keep drafts' columns. */
export function tailOf(entry: Entry): string {
  // `{"kind":"` + kind + `","seq":` + digits
  return entry.frame.slice(9 + entry.kind.length + 8 + String(entry.seq).length);
}

/** A draft's JSON after the seq, for a broker that ships drafts before their seq is known (Redis). */
export function draftTail(draft: Draft): string {
  return draft.tail ?? tailOf(sequence(draft, 0));
}

/** One reading of the clock, shared by every item of a publish call. */
export interface Clock {
  ms: number;
  iso: string;
}

let lastMs = Number.NaN;
let lastIso = "";

/** Reads the clock once; the ISO text is formatted once per millisecond, however many publishes share it. */
export function clockNow(): Clock {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return { ms, iso: lastIso };
}
