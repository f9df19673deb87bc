/**
 * Publishes in flight, so a shutdown can let them finish: each one is delivered (and stored) before
 * the sockets close. Once draining, new publishes are refused instead of started.
 */
export interface Inflight {
  /** Marks one publish as started; call the returned function when it is done. */
  begin(): () => void;
  readonly draining: boolean;
  /** Stops accepting publishes; resolves when none is in flight. */
  drain(): Promise<void>;
  /**
   * Aborts once the publishes in flight are delivered and clients should go: long-lived HTTP responses
   * (Server-Sent Events) end on it, as WebSockets get their 1001.
   */
  readonly closing: AbortSignal;
  /** Aborts `closing`. */
  close(): void;
}

/** Creates an idle tracker. */
export function createInflight(): Inflight {
  let count = 0;
  let draining = false;
  let wake: (() => void) | undefined;
  const closing = new AbortController();
  return {
    begin() {
      count++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (--count === 0) wake?.();
      };
    },
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
      if (count === 0) return Promise.resolve();
      return new Promise<void>((resolve) => (wake = resolve));
    },
    closing: closing.signal,
    close: () => closing.abort(),
  };
}
