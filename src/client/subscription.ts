import { targetOf, type StreamAddress, type Start, type Target } from "./address.ts";
import { backoffDelay, type Backoff } from "./backoff.ts";
import type { ErrorFrame, EventInput, HelloFrame, Item, Position, Published, ServerFrame } from "./frames.ts";
import { probeHandshake, type FetchLike, StreamRefusedError } from "./handshake.ts";
import { createOutbox } from "./publishing.ts";
import { reconnecting, type ConnectionState } from "./state.ts";
import { expiryOf, refreshDelay, type TokenSource } from "./token.ts";

/** The part of the standard WebSocket this client uses (tests hand in a fake one). */
export interface SocketLike {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Timers, injectable so tests drive reconnects without waiting. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Everything `subscribe` takes besides the URL. */
export interface SubscribeOptions extends Omit<StreamAddress, "url" | "token">, Start {
  /**
   * The token, or a function that returns a fresh one: called before every connection and, for a JSON
   * Web Token, again before it expires, sending it in a `refresh` frame so the connection is not closed.
   */
  token?: TokenSource;
  backoff?: Backoff;
  /**
   * Called with each item in order, and the position the subscription moves to once it is handled; the
   * next comes once it returns (or its promise resolves). Else iterate the subscription.
   */
  onItem?: (item: Item, position: Position) => void | Promise<void>;
  /** Called on every state change. */
  onState?: (state: ConnectionState) => void;
  /** Called each time the position moves (an item handled, a checkpoint, a connect): persist it here. */
  onPosition?: (position: Position) => void;
  /** Called with `error` frames that answer no publish of this client (e.g. `unavailable` before the server ends a stream). */
  onError?: (frame: ErrorFrame) => void;
  /**
   * A connection that sends nothing for this long gets a `ping`; with no frame for as long again, it is
   * taken for dead (a half-open TCP connection: a laptop lid, a NAT that forgot it) and replaced.
   * Default 30 s; 0 turns it off.
   */
  heartbeatMs?: number;
  /** false: a publisher that reads nothing; frames that arrive are dropped instead of queued. */
  receive?: boolean;
  /** Injected for tests, or to use another implementation (e.g. the `ws` package on Node < 22). */
  WebSocket?: new (url: string, options?: { headers: Record<string, string> }) => SocketLike;
  fetch?: FetchLike;
  timers?: Timers;
  random?: () => number;
  /** The clock (ms since 1970) token refreshes are planned by; injected for tests. */
  now?: () => number;
}

/** A live, resuming subscription: an async iterable of items, plus its position, state and a publish method. */
export interface Subscription extends AsyncIterable<Item> {
  /** `{epoch, seq}` after the last item the caller handled (undefined before the first hello). */
  readonly position: Position | undefined;
  readonly state: ConnectionState;
  /** Publishes events over this connection (event streams only); resolves once the server acknowledged them. */
  publish(event: EventInput): Promise<Published>;
  publish(events: EventInput[]): Promise<Published[]>;
  /** Drops the current connection and reconnects at once, resuming (for a page that saw the network come back). */
  reconnect(): void;
  /** Closes for good; iteration ends once queued items are read. */
  close(): void;
  /** Resolves when closed; rejects with a StreamRefusedError when the server refused the stream. */
  readonly done: Promise<void>;
}

interface Entry {
  item?: Item;
  position: Position;
}

const OPEN = 1;
const defaultTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) };

/**
 * Subscribes to a stream and keeps it going: after any drop it reconnects with backoff and jitter and
 * resumes from the last frame received, so the caller gets every seq once, in order; a `reset` (what
 * the server could not replay) is an item of its own. A 400/401/403/404 at the handshake ends it with
 * a StreamRefusedError instead of retrying.
 */
export function subscribe(url: string, options: SubscribeOptions = {}): Subscription {
  const { token: _source, ...rest } = options; // the token is got per connection (withToken)
  const address: StreamAddress = { ...rest, url };
  const timers = options.timers ?? defaultTimers;
  const makeSocket = options.WebSocket ?? (globalThis.WebSocket as unknown as NonNullable<SubscribeOptions["WebSocket"]>);
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const random = options.random ?? Math.random;
  const receive = options.receive !== false;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const now = options.now ?? Date.now;

  let state: ConnectionState = { status: "connecting", text: "connecting" };
  /** Position of the last frame received: where a reconnect resumes (queued items stay queued). */
  let received: Position | undefined = options.position;
  /** Position after the last item the caller handled. */
  let handled: Position | undefined = options.position;
  let epoch: string | undefined = options.position?.epoch;
  let socket: SocketLike | undefined;
  let live = false;
  let attempt = 0;
  let timer: unknown;
  /** The heartbeat's timer: cleared with its socket, so a closed subscription keeps no process alive. */
  let beat: unknown;
  /** The token refresh's timer, cleared with its socket like the heartbeat. */
  let renewal: unknown;
  /** Publishes waiting to be sent again (rate_limited, unavailable). */
  const waits = new Set<unknown>();
  let ended = false;
  let failure: Error | undefined;
  const queue: Entry[] = [];
  /** The next entry to hand out (entries before it are taken). */
  let head = 0;
  let taken: Entry | undefined;
  let wake: (() => void) | undefined;
  let settle!: { resolve(): void; reject(err: Error): void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // a caller who never looks at `done` must not get an unhandled rejection

  const outbox = createOutbox({
    send: (text) => {
      if (!live || socket?.readyState !== OPEN) return false;
      socket.send(text);
      return true;
    },
    later: (n, fn) => {
      const handle = timers.setTimeout(() => {
        waits.delete(handle);
        fn();
      }, backoffDelay(n, options.backoff, random));
      waits.add(handle);
    },
  });

  const setState = (next: ConnectionState) => {
    state = next;
    options.onState?.(next);
  };
  const moveTo = (position: Position) => {
    handled = position;
    options.onPosition?.(position);
  };
  const push = (entry: Entry) => {
    queue.push(entry);
    wake?.();
  };

  /** Forgets the current socket (its handlers then ignore it) and its heartbeat; returns it to close. */
  function dropSocket(): SocketLike | undefined {
    const old = socket;
    socket = undefined;
    live = false;
    if (beat !== undefined) timers.clearTimeout(beat);
    if (renewal !== undefined) timers.clearTimeout(renewal);
    beat = renewal = undefined;
    return old;
  }

  /** Gets a token (a fresh one, when the caller gave a function); `use` runs with it unless the subscription moved on. */
  function withToken(use: (token: string | undefined) => void, onFailure: (reason: string) => void) {
    const source = options.token;
    if (typeof source !== "function") return use(source);
    const failed = (err: unknown) => onFailure(`getting a token failed: ${err instanceof Error ? err.message : String(err)}`);
    try {
      const got = source();
      if (got instanceof Promise) got.then(use, failed);
      else use(got);
    } catch (err) {
      failed(err);
    }
  }

  function connect() {
    timer = undefined;
    if (ended) return;
    withToken(
      (token) => !ended && !socket && timer === undefined && open(token),
      (reason) => !ended && !socket && timer === undefined && retry(reason),
    );
  }

  /** Before `token` expires, sends the next one in a refresh frame (only when the caller can get fresh ones). */
  function planRefresh(ws: SocketLike, token: string | undefined) {
    const expiresAt = typeof options.token === "function" ? expiryOf(token) : undefined;
    if (expiresAt === undefined) return;
    renewal = timers.setTimeout(() => {
      renewal = undefined;
      // A token that cannot be had, or is refused, leaves the old one to expire: the server closes with
      // 4001 and the reconnect gets a token again. Nothing is lost either way: it resumes.
      withToken(
        (next) => {
          if (socket !== ws || !live || !next) return;
          ws.send(JSON.stringify({ kind: "refresh", token: next }));
          planRefresh(ws, next);
        },
        () => {},
      );
    }, refreshDelay(expiresAt, now()));
  }

  function open(token: string | undefined) {
    const start: Start = received ? { position: received } : options;
    const target = targetOf({ ...address, token }, start);
    const ws = new makeSocket(target.ws, Object.keys(target.headers).length ? { headers: target.headers } : undefined);
    socket = ws;
    let opened = false;
    let heard = 0;
    let pinged = false;
    /** Runs every heartbeatMs while the socket lives: counts frames instead of re-arming a timer per frame. */
    const listen = () => {
      if (socket !== ws) return;
      if (heard > 0) [heard, pinged] = [0, false];
      else if (!pinged) {
        pinged = true;
        ws.send(JSON.stringify({ kind: "ping" }));
      } else {
        onEnd({ code: 1006, reason: "" }, `no answer to a ping for ${(heartbeatMs / 1000).toFixed(1)} s`);
        return ws.close();
      }
      beat = timers.setTimeout(listen, heartbeatMs);
    };
    ws.onopen = () => {
      opened = true;
      if (heartbeatMs > 0) beat = timers.setTimeout(listen, heartbeatMs);
    };
    ws.onmessage = (e) => {
      if (socket !== ws) return;
      heard++;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(e.data));
      } catch {
        return;
      }
      if (frame.kind === "hello") onHello(frame, ws, token);
      else onFrame(frame);
    };
    const onEnd = (e: { code: number; reason: string }, why = "connection lost") => {
      if (socket !== ws) return; // already handled (an error, then its close), or replaced
      dropSocket();
      if (ended) return;
      if (e.code === 1009) outbox.onTooBig();
      if (opened) return retry(e.code === 1006 ? why : `closed ${e.code}${e.reason ? `: ${e.reason}` : ""}`);
      void probe(target);
    };
    ws.onclose = (e) => onEnd(e);
    // Node 20's WebSocket reports a failed connect with an error and no close: either one ends the attempt.
    ws.onerror = () => {
      if (socket !== ws) return; // closing it below may report another error
      onEnd({ code: 1006, reason: "" });
      ws.close();
    };
  }

  async function probe(target: Target) {
    const verdict = await probeHandshake(target, fetchFn);
    if (ended || socket) return;
    if ("refused" in verdict) return fail(verdict.refused);
    retry(verdict.retry, verdict.afterMs);
  }

  function retry(reason: string, afterMs = 0) {
    const delay = Math.max(afterMs, backoffDelay(attempt++, options.backoff, random));
    setState(reconnecting(delay, reason));
    timer = timers.setTimeout(() => {
      setState({ status: "connecting", text: "reconnecting" });
      connect();
    }, delay);
  }

  function onFrame(frame: Exclude<ServerFrame, HelloFrame>) {
    switch (frame.kind) {
      case "reset":
        epoch = frame.epoch;
        received = { epoch, seq: frame.next - 1 };
        return push({ item: frame, position: received });
      case "event":
      case "log":
        if (received && received.epoch === epoch && frame.seq <= received.seq) return; // already had it (resume overlap)
        received = { epoch: epoch!, seq: frame.seq };
        if (receive) push({ item: frame, position: received });
        return;
      case "checkpoint":
        if (received && frame.seq <= received.seq) return;
        received = { epoch: epoch!, seq: frame.seq };
        return push({ position: received });
      case "ack":
        return outbox.onAck(frame);
      case "error":
        if (!outbox.onError(frame)) options.onError?.(frame);
        return;
    }
  }

  function onHello(hello: HelloFrame, ws: SocketLike, token: string | undefined) {
    epoch = hello.epoch;
    attempt = 0;
    live = true;
    if (renewal === undefined) planRefresh(ws, token);
    if (!received) {
      received = { epoch, seq: hello.resume?.since ?? hello.seq };
      push({ position: received });
    }
    setState({ status: "live", text: "live", hello });
    outbox.resend();
  }

  function fail(err: Error) {
    failure = err;
    setState({ status: "refused", text: `refused: ${err.message}`, error: err as StreamRefusedError });
    finish();
    settle.reject(err);
  }

  /** Closes for good: by the caller (no error), or because its handler threw. */
  function stop(err?: Error) {
    if (ended) return;
    failure = err;
    finish();
    dropSocket()?.close(1000, "closed by the client");
    setState({ status: "closed", text: err ? `closed: ${err.message}` : "closed" });
    if (err) settle.reject(err);
    else settle.resolve();
  }

  function finish() {
    ended = true;
    live = false;
    if (timer !== undefined) timers.clearTimeout(timer);
    for (const handle of waits) timers.clearTimeout(handle);
    outbox.failAll(failure ?? new Error("the subscription was closed before the server acknowledged this publish"));
    wake?.();
  }

  const iterator: AsyncIterator<Item> = {
    async next() {
      if (taken) moveTo(taken.position); // the caller came back for more: the item it had is handled
      taken = undefined;
      for (;;) {
        const entry = queue[head];
        if (entry) queue[head++] = undefined!;
        if (head > 1024 && head * 2 > queue.length) {
          // Taken entries are dropped in bulk: shift() per item is O(n), quadratic over a 40,000-frame replay.
          queue.splice(0, head);
          head = 0;
        }
        if (entry?.item) {
          taken = entry;
          return { value: entry.item, done: false };
        }
        if (entry) {
          moveTo(entry.position);
          continue;
        }
        if (failure) throw failure;
        if (ended) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
    async return() {
      sub.close();
      return { value: undefined, done: true };
    },
  };

  const sub: Subscription = {
    get position() {
      return handled;
    },
    get state() {
      return state;
    },
    publish: ((events: EventInput | EventInput[]) => {
      if (ended) return Promise.reject(failure ?? new Error("the subscription is closed"));
      if ((address.channel ?? "events") !== "events") return Promise.reject(new Error("publish over /ws or /api/stream; log lines go to POST /api/logs"));
      if (Array.isArray(events)) return outbox.publish(events);
      return outbox.publish([events]).then((items) => items[0]!);
    }) as Subscription["publish"],
    reconnect() {
      if (ended) return;
      if (timer !== undefined) timers.clearTimeout(timer);
      dropSocket()?.close(1000, "reconnecting");
      setState({ status: "connecting", text: "reconnecting" });
      connect();
    },
    close: () => stop(),
    done,
    [Symbol.asyncIterator]: () => iterator,
  };

  if (options.onItem) {
    const onItem = options.onItem;
    void (async () => {
      try {
        for (;;) {
          const { value, done: over } = await iterator.next();
          if (over) return;
          await onItem(value, taken!.position);
        }
      } catch (err) {
        if (err !== failure) stop(err as Error); // the caller's handler threw: stop, and say so through `done`
      }
    })();
  }
  setState(state);
  connect();
  return sub;
}
