import type { AckFrame, ErrorFrame, EventInput, Published } from "./frames.ts";
import { randomId } from "./ids.ts";

/** The server refused a publish (`invalid_event`, `forbidden`, …): sending it again cannot help. */
export class PublishError extends Error {
  override name = "PublishError";
  /** The server's error code. */
  readonly code: string;
  /** For `invalid_event`: each `{path, message}`. */
  readonly issues: Array<{ path: string; message: string }>;
  constructor(frame: Pick<ErrorFrame, "code" | "message" | "issues">) {
    super(`${frame.code}: ${frame.message}`);
    this.code = frame.code;
    this.issues = frame.issues ?? [];
  }
}

/** Codes after which the same frame is sent again: the server stored nothing and said to come back. */
const RETRY_LATER = new Set(["rate_limited", "unavailable"]);
/** The connection closes after this one; the frame is re-sent once reconnected. */
const RETRY_ON_RECONNECT = new Set(["shutting_down"]);

interface Pending {
  ack: string;
  events: Array<EventInput & { id: string }>;
  tries: number;
  resolve(items: Published[]): void;
  reject(err: Error): void;
}

/** What the outbox needs from its connection. */
export interface OutboxLink {
  /** Sends the text when the connection is live; false when it is not (the frame waits for the next hello). */
  send(text: string): boolean;
  /** Runs `fn` after `attempt`'s backoff delay. */
  later(attempt: number, fn: () => void): void;
}

/** Publishes waiting for their ack (see createOutbox). */
export interface Outbox {
  /** Sends events in one frame; resolves with each one's seq and id once the server acknowledges them. */
  publish(events: EventInput[]): Promise<Published[]>;
  /** Unacknowledged frames, in order: sent again on each new connection. */
  resend(): void;
  /** How many frames wait for an ack. */
  readonly size: number;
  /** Settles the publish an ack answers. */
  onAck(frame: AckFrame): void;
  /** Handles an error frame answering one of our publishes; false when it answers none. */
  onError(frame: ErrorFrame): boolean;
  /** The server closed with 1009: rejects the largest waiting frame, which is too big for it (the rest are sent again). */
  onTooBig(): void;
  /** Rejects everything still waiting (the client was closed or refused). */
  failAll(err: Error): void;
}

/**
 * Publishes waiting for their ack. Every event gets its id here (the caller's, or a random one), so a
 * frame sent again after a reconnect carries the same ids and the server stores each event once.
 */
export function createOutbox(link: OutboxLink): Outbox {
  const pending = new Map<string, Pending>();
  let counter = 0;
  const frameOf = (p: Pending) => JSON.stringify({ kind: "publish", events: p.events, ack: p.ack });

  return {
    publish(events: EventInput[]): Promise<Published[]> {
      return new Promise((resolve, reject) => {
        const p: Pending = { ack: `c${++counter}`, events: events.map((e) => ({ ...e, id: e.id ?? randomId() })), tries: 0, resolve, reject };
        pending.set(p.ack, p);
        link.send(frameOf(p));
      });
    },
    resend() {
      for (const p of pending.values()) link.send(frameOf(p));
    },
    get size() {
      return pending.size;
    },
    onAck(frame: AckFrame) {
      const p = pending.get(String(frame.id));
      if (!p) return;
      pending.delete(p.ack);
      const dup = new Set(frame.duplicates ?? []);
      p.resolve(frame.seqs.map((seq, i) => (dup.has(i) ? { seq, id: p.events[i]!.id, duplicate: true } : { seq, id: p.events[i]!.id })));
    },
    onError(frame: ErrorFrame): boolean {
      const p = frame.id === undefined ? undefined : pending.get(String(frame.id));
      if (!p) return false;
      if (RETRY_ON_RECONNECT.has(frame.code)) return true;
      if (RETRY_LATER.has(frame.code)) {
        link.later(p.tries++, () => pending.has(p.ack) && link.send(frameOf(p)));
        return true;
      }
      pending.delete(p.ack);
      p.reject(new PublishError(frame));
      return true;
    },
    onTooBig() {
      // Whichever frame the server could not take, the largest waiting one is at least as big: sending it
      // again would close every connection the same way, for ever.
      let largest: Pending | undefined;
      for (const p of pending.values()) if (!largest || frameOf(p).length > frameOf(largest).length) largest = p;
      if (!largest) return;
      pending.delete(largest.ack);
      largest.reject(new PublishError({
        code: "frame_too_big",
        message: "the server closed the connection with 1009: this publish frame is larger than its --max-frame-bytes; nothing of it was stored; publish fewer or smaller events at once",
      }));
    },
    failAll(err: Error) {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    },
  };
}
