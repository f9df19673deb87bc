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

/** A stored, sequenced envelope: the frame text every subscriber receives. */
export interface Entry extends Draft {
  seq: number;
  frame: string;
}

const DEFAULT_SOURCE = "api";

/** Builds an event draft; `now` is computed once per publish call, not per event. */
export function eventDraft(input: EventInput, now: Clock): Draft {
  const id = input.id ?? crypto.randomUUID();
  const source = input.source ?? DEFAULT_SOURCE;
  const time = input.time ?? now.iso;
  const tail =
    `,"id":${JSON.stringify(id)},"type":${JSON.stringify(input.type)},"source":${JSON.stringify(source)}` +
    `,"time":${JSON.stringify(time)},"data":${JSON.stringify(input.data ?? null)}}`;
  return { kind: "event", tail, key: input.type, source, time: now.ms, id };
}

/** Builds a log-line draft. */
export function logDraft(input: LogInput, now: Clock): Draft {
  const source = input.source ?? DEFAULT_SOURCE;
  const time = input.time ?? now.iso;
  const tail =
    `,"time":${JSON.stringify(time)},"level":${JSON.stringify(input.level)},"message":${JSON.stringify(input.message)}` +
    `,"source":${JSON.stringify(source)},"fields":${JSON.stringify(input.fields ?? {})}}`;
  return { kind: "log", tail, key: input.level, source, time: now.ms };
}

/** Gives a draft its place in the stream. */
export function sequence(draft: Draft, seq: number): Entry {
  return { ...draft, seq, frame: `{"kind":"${draft.kind}","seq":${seq}${draft.tail}` };
}

/** One reading of the clock, shared by every item of a publish call. */
export interface Clock {
  ms: number;
  iso: string;
}

/** Reads the clock once. */
export function clockNow(): Clock {
  const d = new Date();
  return { ms: d.getTime(), iso: d.toISOString() };
}
