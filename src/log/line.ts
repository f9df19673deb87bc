import type { LogLevel } from "./level.ts";

/**
 * One log line as it is published to the `logs` channel: by the server's own logger, or by a client once
 * the protocol's `LogInput` schema has accepted it (that schema's output is checked to fit this shape).
 * Missing parts get the server's defaults when the hub builds the frame.
 */
export interface LogLine {
  level: LogLevel;
  message: string;
  source?: string;
  fields?: Record<string, unknown>;
  /** ISO 8601 date-time; the server's receive time when missing. */
  time?: string;
}
