import type { EventInput, LogInput } from "../protocol/inputs.ts";

/**
 * An envelope is serialised exactly once. A draft holds everything after the `seq` as a JSON tail,
 * so the broker that assigns the seq only concatenates: no per-subscriber or per-seq stringify.
 */
export interface Draft {
  kind: "event" | "log";
  /** JSON text that follows `"seq":N` in the frame, starting with `,` and ending with `}`. */
  tail: string;
  /** What filters match on: the event type, or the log level. */
  key: string;
  source: string;
  /** When the server accepted it (ms since the Unix epoch); history max-age counts from here. */
  time: number;
  /** The event id (events only). */
  id?: string;
}

/**
 * A stored, sequenced envelope: the frame text every subscriber receives. It keeps the frame, not the
 * draft's tail: history holds thousands of entries, and the frame already contains the tail.
 */
export interface Entry extends Omit<Draft, "tail"> {
  seq: number;
  frame: string;
}

const DEFAULT_SOURCE = "api";
const DEFAULT_SOURCE_JSON = JSON.stringify(DEFAULT_SOURCE);

/** Builds an event draft; `now` is computed once per publish call, not per event. */
export function eventDraft(input: EventInput, now: Clock): Draft {
  // What the server makes itself (a UUID, the default source, its ISO clock) needs no JSON escaping.
  const id = input.id ?? crypto.randomUUID();
  const source = input.source ?? DEFAULT_SOURCE;
  const tail =
    `,"id":${input.id === undefined ? `"${id}"` : JSON.stringify(id)},"type":${JSON.stringify(input.type)}` +
    `,"source":${input.source === undefined ? DEFAULT_SOURCE_JSON : JSON.stringify(source)}` +
    `,"time":${input.time === undefined ? `"${now.iso}"` : JSON.stringify(input.time)},"data":${input.data === undefined ? "null" : JSON.stringify(input.data)}}`;
  return { kind: "event", tail, key: input.type, source, time: now.ms, id };
}

/** Builds a log-line draft. */
export function logDraft(input: LogInput, now: Clock): Draft {
  const source = input.source ?? DEFAULT_SOURCE;
  const tail =
    `,"time":${input.time === undefined ? `"${now.iso}"` : JSON.stringify(input.time)},"level":${JSON.stringify(input.level)}` +
    `,"message":${JSON.stringify(input.message)},"source":${JSON.stringify(source)},"fields":${input.fields === undefined ? "{}" : JSON.stringify(input.fields)}}`;
  return { kind: "log", tail, key: input.level, source, time: now.ms };
}

/** Gives a draft its place in the stream. */
export function sequence(draft: Draft, seq: number): Entry {
  // Spelled out rather than spread: one object shape per kind, and no reference to the tail.
  const { kind, key, source, time, id } = draft;
  const frame = `{"kind":"${kind}","seq":${seq}${draft.tail}`;
  return id === undefined ? { kind, key, source, time, seq, frame } : { kind, key, source, time, id, seq, frame };
}

/** The JSON tail of a stored entry (its frame after `"seq":N`), for stores that keep drafts' columns. */
export function tailOf(entry: Entry): string {
  // `{"kind":"` + kind + `","seq":` + digits
  return entry.frame.slice(9 + entry.kind.length + 8 + String(entry.seq).length);
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
