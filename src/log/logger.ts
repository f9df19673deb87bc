import type { LogLevel } from "./level.ts";
import type { LogLine } from "./line.ts";

export type LogFormat = "pretty" | "json";
export type LogFields = Record<string, unknown>;

/** The server's structured logger: one line per record to stdout, and each record onto the `logs` channel. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** An info record written whatever the level: the start-up line users and scripts look for. */
  announce(message: string, fields?: LogFields): void;
  /** Whether records of this level are written at all (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
  /** Also sends every record to the `logs` channel (set once the hub exists). */
  feed(publish: (line: LogLine) => unknown): void;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SOURCE = "stream-server";

/** Creates a logger that drops records below `level`. */
export function createLogger({ level, format, write = (line) => process.stdout.write(line + "\n") }: LoggerOptions): Logger {
  let publish: ((line: LogLine) => unknown) | undefined;
  const min = RANK[level];
  // While the logs channel cannot store (Redis down), say so once, not once per line.
  let feedFailing = false;
  const feedFailed = (err: unknown) => {
    if (!feedFailing) reportFeedError(err);
    feedFailing = true;
  };
  const feedWorked = () => {
    feedFailing = false;
  };

  const emit = (lvl: LogLevel, message: string, fields: LogFields = {}, always = false) => {
    if (RANK[lvl] < min && !always) return;
    const time = new Date().toISOString();
    write(format === "json" ? jsonLine(time, lvl, message, fields) : prettyLine(time, lvl, message, fields));
    if (!publish) return;
    try {
      // A failed publish is reported on stderr only: logging it again would loop.
      Promise.resolve(publish({ level: lvl, message, source: SOURCE, fields: plain(fields), time })).then(feedWorked, feedFailed);
    } catch (err) {
      feedFailed(err);
    }
  };

  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    announce: (m, f) => emit("info", m, f, true),
    enabled: (lvl) => RANK[lvl] >= min,
    feed(next) {
      publish = next;
    },
  };
}

function jsonLine(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  return JSON.stringify({ time, level, msg, ...plain(fields) });
}

function prettyLine(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(plain(v))}`)
    .join(" ");
  return `${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? "  " + extra : ""}`;
}

/** Errors do not survive JSON.stringify; turn them into their message. */
function plain<T>(value: T): T {
  if (value instanceof Error) return value.message as T;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    // fromEntries defines keys rather than assigning them: a `__proto__` field stays a field.
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return Object.fromEntries(entries.map(([k, v]) => [k, v instanceof Error ? v.message : v])) as T;
  }
  return value;
}

function reportFeedError(err: unknown) {
  process.stderr.write(`stream-server: could not put a log record on the logs channel: ${String(err)} (further failures are not reported until it works again)\n`);
}
