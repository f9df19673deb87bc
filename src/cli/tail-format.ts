import type { EventFrame, HelloFrame, Item, LogFrame, ResetFrame } from "../client/index.ts";

/** ANSI colours, or none (NO_COLOR, or not a terminal). */
function palette(colour: boolean) {
  const c = (code: string) => (text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { dim: c("2"), bold: c("1"), cyan: c("36"), magenta: c("35"), red: c("31"), yellow: c("33"), green: c("32"), gray: c("90") };
}

/** HH:MM:SS.mmm in local time, or the text as given when it is no date. */
function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso.slice(0, 12).padEnd(12);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const compact = (value: unknown) => (value === undefined || value === null ? "" : JSON.stringify(value));

/**
 * One line per frame for a person at a terminal: time, seq, type or level, source, then the data or
 * message. Columns grow to the widest value seen so far (up to a cap), so a stream settles into alignment.
 */
export function createLineFormat(colour: boolean) {
  const k = palette(colour);
  const width = { seq: 4, what: 12, source: 10 };
  const fit = (key: keyof typeof width, text: string, cap: number) => {
    width[key] = Math.min(cap, Math.max(width[key], text.length));
    return text.padEnd(width[key]);
  };
  const LEVEL = { debug: k.gray, info: k.green, warn: k.yellow, error: k.red } as const;
  return function formatLine(frame: EventFrame | LogFrame): string {
    const seq = k.cyan(fit("seq", `#${frame.seq}`, 12));
    const source = k.magenta(fit("source", frame.source, 24));
    if (frame.kind === "event") {
      return `${k.dim(clock(frame.time))}  ${seq}  ${k.bold(fit("what", frame.type, 32))}  ${source}  ${compact(frame.data)}`;
    }
    const fields = Object.keys(frame.fields ?? {}).length ? `  ${k.dim(compact(frame.fields))}` : "";
    return `${k.dim(clock(frame.time))}  ${seq}  ${LEVEL[frame.level](fit("what", frame.level, 5))}  ${source}  ${frame.message}${fields}`;
  };
}

/** The stderr line for a connection's hello. */
export function helloLine(hello: HelloFrame, url: string): string {
  const resume = hello.resume ? `, resuming after seq ${hello.resume.since}` : "";
  return `connected to ${url} (${hello.channel}, epoch ${hello.epoch}, latest seq ${hello.seq}${resume}; server ${hello.version})`;
}

/** The stderr line for a reset: what was lost and where the stream goes on. */
export function resetLine(reset: ResetFrame): string {
  const lost = reset.lost ? `seqs ${reset.lost.from}–${reset.lost.to} are lost` : "some frames are lost";
  return `reset (${reset.reason}): ${reset.message} — ${lost}; the stream continues at seq ${reset.next} (epoch ${reset.epoch})`;
}

/** Whether the item is an event or a log line (not a reset). */
export const isData = (item: Item): item is EventFrame | LogFrame => item.kind === "event" || item.kind === "log";
