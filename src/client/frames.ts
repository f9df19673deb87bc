// The server's frames as this client sees them: written from the public protocol (docs/protocol.md),
// not imported from the server, so the client stays one dependency-free module.

/** Where a reader stands in a channel: the history's epoch and the seq of the last frame handled. */
export interface Position {
  epoch: string;
  seq: number;
}

/** First frame of every connection. */
export interface HelloFrame {
  kind: "hello";
  channel: "events" | "logs";
  path: string;
  epoch: string;
  seq: number;
  version: string;
  resume?: { since: number; since_time?: string; complete: boolean };
}

/** One event (`/ws`, `/api/stream`). */
export interface EventFrame {
  kind: "event";
  seq: number;
  id: string;
  type: string;
  source: string;
  time: string;
  data: unknown;
}

/** One log line (`/ws/logs`). */
export interface LogFrame {
  kind: "log";
  seq: number;
  time: string;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  source: string;
  fields: Record<string, unknown>;
}

/** Something could not be replayed: `lost` names the missing seqs when known; the stream goes on at `next`. */
export interface ResetFrame {
  kind: "reset";
  reason: "history_exceeded" | "epoch_changed" | "since_ahead";
  message: string;
  epoch: string;
  since: number;
  next: number;
  lost?: { from: number; to: number };
}

/** Filtered subscribers: every matching frame up to `seq` has been sent. A position, not an event. */
export interface CheckpointFrame {
  kind: "checkpoint";
  seq: number;
}

/** A publish frame's receipt. */
export interface AckFrame {
  kind: "ack";
  id: string | number;
  seqs: number[];
  duplicates?: number[];
}

/** The server's answer to a frame it refused. */
export interface ErrorFrame {
  kind: "error";
  code: string;
  message: string;
  id?: string | number;
  issues?: Array<{ path: string; message: string }>;
}

/** What a subscriber reads: events or log lines, and resets (never swallowed). */
export type Item = EventFrame | LogFrame | ResetFrame;

/** Every frame the server may send. */
export type ServerFrame = HelloFrame | EventFrame | LogFrame | ResetFrame | CheckpointFrame | AckFrame | ErrorFrame | { kind: "pong"; id?: unknown };

/** An event to publish: the same fields as `POST /api/events`; `id` is made here when missing. */
export interface EventInput {
  type: string;
  source?: string;
  id?: string;
  time?: string;
  data?: unknown;
}

/** One published event's receipt: its seq, its id and whether the server already held that id. */
export interface Published {
  seq: number;
  id: string;
  duplicate?: boolean;
}
