import { sequence, type Draft, type Entry } from "../envelope.ts";

/**
 * How an envelope is laid out as a Redis Stream entry. The stream id is `<seq>-0`; the fields are
 *
 * - `e`: the epoch it was written in (set by the publish script),
 * - `m`: the server's accept time, ms since the Unix epoch (the scripts read it for max-age and time seeks),
 * - `i`: the id the publisher chose, the idempotency key (absent when the server made the id up),
 * - `d`: the rest in one value, `<kind> <key length> <source length> <key><source><tail>`: the key (an
 *   event type, a log level) and the source as given, whatever they hold, measured in UTF-16 code units
 *   (as JavaScript counts, both ways), then the frame's JSON after `"seq":N`.
 *
 * Four fields instead of one per draft column: Redis's time per appended entry fell from 4.7–6.1 to
 * 3.6–4.2 µs and per entry read by XREAD from 0.9–1.3 to 0.6–0.7 µs, measured with its own counters on
 * batches of 100 (bench/NOTES.md, 2026-12-03). Entries written before that (fields `k`, `t`, `y`, `s`,
 * `m`, `i`) are still read: a Redis kept across the upgrade serves its history as before.
 */

/** A stream entry as Redis returns it: [id, [field, value, …]]. */
export type RawEntry = [string, string[]];

/** What the publish script stores of a draft, after its epoch: accept time, the publisher's id ('' for none), and `d`. */
export function entryValues(draft: Draft, tail: string): [string, string, string] {
  const { kind, key, source } = draft;
  return [String(draft.time), draft.id ?? "", `${kind} ${key.length} ${source.length} ${key}${source}${tail}`];
}

/** Turns a stream entry back into the envelope it stores, and the epoch it was written in. */
export function decodeEntry([id, fields]: RawEntry): { entry: Entry; epoch: string } {
  let epoch = "";
  let time = 0;
  let publisherId: string | undefined;
  let packed: string | undefined;
  let old: Record<string, string> | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]!;
    switch (fields[i]) {
      case "e": epoch = value; break;
      case "m": time = Number(value); break;
      case "i": if (value) publisherId = value; break;
      case "d": packed = value; break;
      default: (old ??= {})[fields[i]!] = value;
    }
  }
  const draft: Draft = packed !== undefined ? unpack(packed, time) : fromColumns(old ?? {}, time);
  if (publisherId !== undefined) draft.id = publisherId;
  return { entry: sequence(draft, seqOf(id)), epoch };
}

/** `d`'s parts: kind, key, source, tail. */
function unpack(d: string, time: number): Draft {
  const afterKind = d.indexOf(" ");
  const afterKeyLength = d.indexOf(" ", afterKind + 1);
  const afterSourceLength = d.indexOf(" ", afterKeyLength + 1);
  const keyEnd = afterSourceLength + 1 + Number(d.slice(afterKind + 1, afterKeyLength));
  const sourceEnd = keyEnd + Number(d.slice(afterKeyLength + 1, afterSourceLength));
  return {
    kind: d.slice(0, afterKind) === "log" ? "log" : "event",
    key: d.slice(afterSourceLength + 1, keyEnd),
    source: d.slice(keyEnd, sourceEnd),
    tail: d.slice(sourceEnd),
    time,
  };
}

/** An entry of the layout before `d`: one field per column. */
function fromColumns(f: Record<string, string>, time: number): Draft {
  return { kind: f.k === "log" ? "log" : "event", tail: f.t ?? "}", key: f.y ?? "", source: f.s ?? "", time };
}

/** The seq a stream id `<seq>-0` stands for. */
export function seqOf(id: string): number {
  return Number.parseInt(id, 10);
}
