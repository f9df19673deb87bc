import type { SocketLike, Timers } from "../../src/client/index.ts";

/** A WebSocket the test drives by hand: open it, feed it frames, drop it. Every instance is kept in order. */
export class FakeSocket implements SocketLike {
  static made: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  closedWith: number | undefined;
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  readonly query: URLSearchParams;
  constructor(readonly url: string, readonly options?: { headers: Record<string, string> }) {
    this.query = new URL(url).searchParams;
    FakeSocket.made.push(this);
  }
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  close(code?: number) {
    this.closedWith = code;
    this.readyState = 3;
  }
  /** Opens it and sends the hello. */
  open(hello: { epoch: string; seq: number; resume?: unknown }) {
    this.readyState = 1;
    this.onopen?.({});
    this.frame({ kind: "hello", channel: "events", path: "/ws", version: "test", ...hello });
  }
  frame(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  /** The connection ends (1006: lost without a close frame). */
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
  /** An error and no close event, as Node 20's WebSocket reports a failed connect. */
  fail() {
    this.readyState = 3;
    this.onerror?.({});
  }
  /** The newest socket made. */
  static get last(): FakeSocket {
    return FakeSocket.made[FakeSocket.made.length - 1]!;
  }
}

/** Timers that run only when the test says: `fire()` runs the earliest one, and `delays` records every wait asked for. */
export function fakeTimers() {
  const waiting: Array<{ fn: () => void; ms: number; id: number }> = [];
  const delays: number[] = [];
  let ids = 0;
  const timers: Timers = {
    setTimeout(fn, ms) {
      delays.push(ms);
      const id = ++ids;
      waiting.push({ fn, ms, id });
      return id;
    },
    clearTimeout(id) {
      const i = waiting.findIndex((t) => t.id === id);
      if (i >= 0) waiting.splice(i, 1);
    },
  };
  return {
    timers,
    delays,
    get pending() {
      return waiting.length;
    },
    /** Runs the timer asked for first. */
    fire() {
      const t = waiting.shift();
      if (!t) throw new Error("no timer is waiting");
      t.fn();
    },
  };
}

/** A fetch that answers every probe with `status` and a JSON body (or fails, for `"down"`). */
export function fakeFetch(answer: { status: number; body?: unknown; headers?: Record<string, string> } | "down") {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const fetch = async (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => {
    calls.push({ url, headers: init.headers });
    if (answer === "down") throw new TypeError("fetch failed");
    return new Response(JSON.stringify(answer.body ?? {}), { status: answer.status, headers: answer.headers });
  };
  return { fetch, calls };
}

/** Lets pending promise callbacks run (the probe is async). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
