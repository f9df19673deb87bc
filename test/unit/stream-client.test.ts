import { beforeEach, describe, expect, test } from "bun:test";
import { PublishError, StreamRefusedError, subscribe, type ConnectionState, type Item, type SubscribeOptions } from "../../src/client/index.ts";
import { fakeFetch, fakeTimers, FakeSocket, settle } from "../helpers/fake-socket.ts";

/** The reconnect/resume state machine with a fake socket and clock: every drop, probe and wait is the test's to decide. */

const ev = (seq: number, extra: Record<string, unknown> = {}) => ({ kind: "event", seq, id: `e${seq}`, type: "t", source: "s", time: "2026-12-03T10:00:00Z", data: null, ...extra });

function start(options: SubscribeOptions = {}, probe = fakeFetch({ status: 200 })) {
  const clock = fakeTimers();
  const states: ConnectionState[] = [];
  const sub = subscribe("http://stream.test:8000", {
    WebSocket: FakeSocket, fetch: probe.fetch, timers: clock.timers, random: () => 0, tokenIn: "query", heartbeatMs: 0,
    onState: (s) => states.push(s), ...options,
  });
  const it = sub[Symbol.asyncIterator]();
  return { sub, it, clock, states, probe, take: async (n: number) => { const out: Item[] = []; for (let i = 0; i < n; i++) out.push((await it.next()).value); return out; } };
}

beforeEach(() => {
  FakeSocket.made = [];
});

describe("client: connect, resume, reset", () => {
  test("connects to the event stream's path; after a drop it resumes from the last frame received, with its epoch", async () => {
    const { clock, take, states } = start();
    expect(FakeSocket.last.url).toBe("ws://stream.test:8000/ws");
    FakeSocket.last.open({ epoch: "E1", seq: 10 });
    FakeSocket.last.frame(ev(11));
    FakeSocket.last.frame(ev(12));
    FakeSocket.last.drop();
    expect(states.map((s) => s.text)).toEqual(["connecting", "live", "reconnecting in 0.5 s (connection lost)"]);
    clock.fire();
    expect(FakeSocket.made).toHaveLength(2);
    expect(FakeSocket.last.query.get("since")).toBe("12");
    expect(FakeSocket.last.query.get("epoch")).toBe("E1");
    FakeSocket.last.open({ epoch: "E1", seq: 13, resume: { since: 12, complete: true } });
    FakeSocket.last.frame(ev(12)); // an overlap the server would never send, dropped all the same
    FakeSocket.last.frame(ev(13));
    expect((await take(3)).map((i) => (i as any).seq)).toEqual([11, 12, 13]);
  });

  test("backoff doubles per failed attempt up to the cap, with jitter, and starts over once live", async () => {
    let r = 0.5;
    const { clock, states } = start({ backoff: { initialMs: 100, maxMs: 1000, jitter: 0.5 }, random: () => r });
    for (let i = 0; i < 6; i++) {
      FakeSocket.last.drop();
      await settle(); // the probe (200: the server accepts this stream) says to retry
      clock.fire();
    }
    // base 100, 200, 400, 800, 1000, 1000, each times (1 - 0.5 * 0.5)
    expect(clock.delays).toEqual([75, 150, 300, 600, 750, 750]);
    expect(states.at(-2)?.text).toBe("reconnecting in 0.8 s (the server accepts this stream but the connection failed)");
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    r = 0;
    FakeSocket.last.drop();
    expect(clock.delays.at(-1)).toBe(100);
  });

  test("a reset is an item of its own; the position moves to the new epoch and later resumes use it", async () => {
    const { sub, clock, it } = start({ position: { epoch: "old", seq: 41 } });
    expect(FakeSocket.last.query.get("since")).toBe("41");
    expect(FakeSocket.last.query.get("epoch")).toBe("old");
    FakeSocket.last.open({ epoch: "new", seq: 3, resume: { since: 41, complete: false } });
    const reset = { kind: "reset", reason: "epoch_changed", message: "the stream was recreated", epoch: "new", since: 41, next: 1 };
    FakeSocket.last.frame(reset);
    FakeSocket.last.frame(ev(1));
    expect((await it.next()).value).toEqual(reset as Item);
    expect(sub.position).toEqual({ epoch: "old", seq: 41 }); // not handled until the caller comes back
    expect((await it.next()).value).toMatchObject({ kind: "event", seq: 1 });
    expect(sub.position).toEqual({ epoch: "new", seq: 0 });
    FakeSocket.last.drop();
    clock.fire();
    expect(FakeSocket.last.query.get("epoch")).toBe("new");
    expect(FakeSocket.last.query.get("since")).toBe("1");
  });

  test("a long replay comes out whole and in order, read while it arrives", async () => {
    const { take } = start();
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    const seqs: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 1; i <= 1000; i++) FakeSocket.last.frame(ev(round * 1000 + i));
      seqs.push(...(await take(700)).map((item) => (item as any).seq));
    }
    seqs.push(...(await take(1500)).map((item) => (item as any).seq));
    expect(seqs).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  test("a checkpoint moves the position without being an item", async () => {
    const positions: unknown[] = [];
    const { it } = start({ types: "order.*", onPosition: (p) => positions.push(p) });
    expect(FakeSocket.last.query.get("types")).toBe("order.*");
    FakeSocket.last.open({ epoch: "E", seq: 5 });
    FakeSocket.last.frame(ev(7, { type: "order.filled" }));
    FakeSocket.last.frame({ kind: "checkpoint", seq: 90 });
    FakeSocket.last.frame(ev(95, { type: "order.placed" }));
    expect((await it.next()).value).toMatchObject({ seq: 7 });
    expect((await it.next()).value).toMatchObject({ seq: 95 });
    expect(positions).toEqual([{ epoch: "E", seq: 5 }, { epoch: "E", seq: 7 }, { epoch: "E", seq: 90 }]);
  });

  test("onItem gets items one at a time; the position moves after each handler's promise resolves", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const { sub } = start({
      onItem: async (item) => {
        seen.push(`start ${(item as any).seq}`);
        if ((item as any).seq === 1) await new Promise<void>((r) => (release = r));
        seen.push(`end ${(item as any).seq}`);
      },
    });
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    FakeSocket.last.frame(ev(1));
    FakeSocket.last.frame(ev(2));
    await settle();
    expect(seen).toEqual(["start 1"]);
    expect(sub.position).toEqual({ epoch: "E", seq: 0 });
    release();
    await settle();
    expect(seen).toEqual(["start 1", "end 1", "start 2", "end 2"]);
    expect(sub.position).toEqual({ epoch: "E", seq: 2 });
  });

  test("a silent connection gets a ping, and without an answer it is replaced; a busy one gets none", async () => {
    const { clock, states } = start({ heartbeatMs: 30_000 });
    FakeSocket.last.readyState = 1;
    FakeSocket.last.onopen?.({});
    FakeSocket.last.frame({ kind: "hello", channel: "events", path: "/ws", version: "t", epoch: "E", seq: 0 });
    clock.fire(); // frames came in this interval: nothing to ask
    expect(FakeSocket.last.sent).toEqual([]);
    clock.fire(); // silence: ask
    expect(FakeSocket.last.sent).toEqual([{ kind: "ping" }]);
    FakeSocket.last.frame({ kind: "pong" });
    clock.fire(); // the pong counts as an answer
    clock.fire(); // silence again: ask again
    expect(FakeSocket.last.sent).toEqual([{ kind: "ping" }, { kind: "ping" }]);
    clock.fire(); // no answer: dead
    expect(states.at(-1)?.text).toBe("reconnecting in 0.5 s (no answer to a ping for 30.0 s)");
    clock.fire();
    expect(FakeSocket.made).toHaveLength(2);
    expect(FakeSocket.last.query.get("since")).toBe("0");
  });

  test("a hello in a new epoch does not move the position: a drop before its reset resumes with the old epoch and gets the reset again", async () => {
    const { sub, clock } = start({ position: { epoch: "old", seq: 41 } });
    FakeSocket.last.open({ epoch: "new", seq: 50, resume: { since: 41, complete: false } });
    expect(sub.position).toEqual({ epoch: "old", seq: 41 });
    FakeSocket.last.drop();
    clock.fire();
    expect(FakeSocket.last.query.get("epoch")).toBe("old");
    expect(FakeSocket.last.query.get("since")).toBe("41");
  });

  test("closes for a slow consumer (1013), an expired token (4001) and a shutdown (1001) each resume from the last frame", async () => {
    const { clock, states } = start();
    FakeSocket.last.open({ epoch: "E", seq: 5 });
    FakeSocket.last.frame(ev(6));
    for (const code of [1013, 4001, 1001]) {
      FakeSocket.last.drop(code);
      expect(states.at(-1)?.text).toContain(`closed ${code}`);
      clock.fire();
      expect(FakeSocket.last.query.get("since")).toBe("6");
      FakeSocket.last.open({ epoch: "E", seq: 6, resume: { since: 6, complete: true } });
    }
  });

  test("since_time is asked for once; after the hello, resumes go by seq", async () => {
    const { clock } = start({ sinceTime: "-15m" });
    expect(FakeSocket.last.query.get("since_time")).toBe("-15m");
    FakeSocket.last.open({ epoch: "E", seq: 80, resume: { since: 57, complete: true } });
    FakeSocket.last.drop();
    clock.fire();
    expect(FakeSocket.last.query.get("since_time")).toBeNull();
    expect(FakeSocket.last.query.get("since")).toBe("57");
  });
});

describe("client: refused handshakes", () => {
  for (const status of [400, 401, 403]) {
    test(`${status} at the handshake stops retrying, with the server's words`, async () => {
      const body = { error: status === 400 ? "invalid_query" : status === 401 ? "unauthorized" : "forbidden", message: "the server says why" };
      const { sub, it, clock, states, probe } = start({ token: "t0k" }, fakeFetch({ status, body }));
      FakeSocket.last.drop(); // never opened
      await settle();
      expect(probe.calls[0]).toEqual({ url: "http://stream.test:8000/ws?token=t0k", headers: { accept: "text/event-stream" } });
      expect(states.at(-1)?.text).toBe(`refused: ${status} ${body.error}: the server says why`);
      expect(clock.pending).toBe(0);
      const err = await it.next().catch((e) => e);
      expect(err).toBeInstanceOf(StreamRefusedError);
      expect(err).toMatchObject({ status, code: body.error });
      expect(await sub.done.catch((e) => e)).toBe(err);
      expect(FakeSocket.made).toHaveLength(1);
    });
  }

  test("a failed connect reported by an error alone (no close event, as on Node 20) is probed and retried once", async () => {
    const { clock, probe } = start();
    FakeSocket.last.fail();
    FakeSocket.last.drop(); // a close that may follow changes nothing
    await settle();
    expect(probe.calls).toHaveLength(1);
    expect(clock.delays).toEqual([500]);
    clock.fire();
    expect(FakeSocket.made).toHaveLength(2);
  });

  test("an unreachable server and a 503 are retried; a 503's Retry-After is honoured", async () => {
    const { clock, states } = start({ backoff: { initialMs: 100 } }, fakeFetch({ status: 503, headers: { "retry-after": "3" } }));
    FakeSocket.last.drop();
    await settle();
    expect(clock.delays).toEqual([3000]);
    expect(states.at(-1)?.text).toBe("reconnecting in 3.0 s (the server answered 503)");
  });

  test("the token goes in the Authorization header where the socket takes headers", () => {
    start({ token: "t0k", tokenIn: "header" });
    expect(FakeSocket.last.options?.headers).toEqual({ authorization: "Bearer t0k" });
    expect(FakeSocket.last.query.get("token")).toBeNull();
  });
});

describe("client: publishing", () => {
  test("resolves with the seq and a client-made id; frames wait for the hello", async () => {
    const { sub } = start();
    const one = sub.publish({ type: "order.filled", data: { qty: 5 } });
    expect(FakeSocket.last.sent).toEqual([]);
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    const frame = FakeSocket.last.sent[0];
    expect(frame).toMatchObject({ kind: "publish", events: [{ type: "order.filled", data: { qty: 5 } }] });
    expect(frame.events[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    FakeSocket.last.frame({ kind: "ack", id: frame.ack, seqs: [1] });
    expect(await one).toEqual({ seq: 1, id: frame.events[0].id });
  });

  test("an unacknowledged publish is sent again after a reconnect with the same ids; a duplicate says so", async () => {
    const { sub, clock } = start();
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    const batch = sub.publish([{ type: "a", id: "fill-1" }, { type: "b" }]);
    const first = FakeSocket.last.sent[0];
    FakeSocket.last.drop();
    clock.fire();
    FakeSocket.last.open({ epoch: "E", seq: 1 });
    expect(FakeSocket.last.sent).toEqual([first]);
    FakeSocket.last.frame({ kind: "ack", id: first.ack, seqs: [1, 2], duplicates: [0] });
    expect(await batch).toEqual([{ seq: 1, id: "fill-1", duplicate: true }, { seq: 2, id: first.events[1].id }]);
  });

  test("a close with 1009 (a frame over the server's --max-frame-bytes) rejects the largest waiting publish instead of re-sending it for ever", async () => {
    const { sub, clock } = start();
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    const small = sub.publish({ type: "a" });
    const big = sub.publish([{ type: "b", data: "x".repeat(5000) }, { type: "c" }]);
    const [smallFrame] = FakeSocket.last.sent;
    FakeSocket.last.drop(1009);
    const err = await big.catch((e) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect(err.code).toBe("frame_too_big");
    expect(err.message).toContain("--max-frame-bytes");
    clock.fire();
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    expect(FakeSocket.last.sent).toEqual([smallFrame]); // the other one may be fine: sent again
    FakeSocket.last.frame({ kind: "ack", id: smallFrame.ack, seqs: [1] });
    expect((await small).seq).toBe(1);
  });

  test("a refused publish rejects with the server's code and issues; rate_limited is sent again after a wait", async () => {
    const { sub, clock } = start();
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    const bad = sub.publish({ type: "not a type" });
    const slow = sub.publish({ type: "ok" });
    const [badFrame, slowFrame] = FakeSocket.last.sent;
    FakeSocket.last.frame({ kind: "error", code: "invalid_event", message: "bad", id: badFrame.ack, issues: [{ path: "events.0.type", message: "no spaces" }] });
    const err = await bad.catch((e) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect(err.issues).toEqual([{ path: "events.0.type", message: "no spaces" }]);
    FakeSocket.last.frame({ kind: "error", code: "rate_limited", message: "slow down", id: slowFrame.ack });
    clock.fire();
    expect(FakeSocket.last.sent.at(-1)).toEqual(slowFrame);
    FakeSocket.last.frame({ kind: "ack", id: slowFrame.ack, seqs: [1] });
    expect((await slow).seq).toBe(1);
  });

  test("close rejects what is still waiting and ends the iteration", async () => {
    const { sub, it } = start();
    const waiting = sub.publish({ type: "a" });
    sub.close();
    expect(await waiting.catch((e) => e.message)).toContain("closed before the server acknowledged");
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await sub.done;
    expect(sub.state.status).toBe("closed");
  });

  test("close leaves no timer behind (a closed client must not keep a process alive)", async () => {
    const { sub, clock } = start({ heartbeatMs: 30_000 });
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    const slow = sub.publish({ type: "a" });
    FakeSocket.last.frame({ kind: "error", code: "rate_limited", message: "slow down", id: FakeSocket.last.sent[0].ack });
    expect(clock.pending).toBe(2); // the heartbeat and the publish's second try
    sub.close();
    expect(clock.pending).toBe(0);
    await slow.catch(() => {});
  });
});

describe("client: tokens that expire", () => {
  /** A JWT-shaped token expiring at `exp` (seconds): the client reads exp only, the server verifies. */
  const jwtExpiring = (exp: number, n: number) => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ exp, n })).toString("base64url")}.sig${n}`;

  test("a token function is asked before every connection, and before expiry its next token goes out in a refresh frame", async () => {
    let now = 1_000_000_000_000;
    let minted = 0;
    const token = () => jwtExpiring(now / 1000 + 300, ++minted); // five minutes each
    const { clock } = start({ token, now: () => now });
    expect(FakeSocket.last.query.get("token")).toBe(jwtExpiring(now / 1000 + 300, 1));
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    // Planned a minute before the first token's expiry.
    expect(clock.delays.at(-1)).toBe(240_000);
    now += 240_000;
    clock.fire();
    const refresh = FakeSocket.last.sent.at(-1);
    expect(refresh).toEqual({ kind: "refresh", token: jwtExpiring(now / 1000 + 300, 2) });
    expect(clock.delays.at(-1)).toBe(240_000); // and the next one from the fresh token
    FakeSocket.last.drop(4001); // had the refresh been refused: closed at expiry, reconnect with a fresh token
    clock.fire();
    expect(FakeSocket.made).toHaveLength(2);
    expect(FakeSocket.last.query.get("token")).toBe(jwtExpiring(now / 1000 + 300, 3));
  });

  test("a short-lived token is refreshed at 80 % of its life; a fixed token is never refreshed", async () => {
    const now = 2_000_000_000_000;
    const short = start({ token: async () => jwtExpiring(now / 1000 + 10, 1), now: () => now });
    await settle();
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    expect(short.clock.delays.at(-1)).toBe(8_000);
    short.sub.close();
    const fixed = start({ token: jwtExpiring(now / 1000 + 10, 1), now: () => now });
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    expect(fixed.clock.pending).toBe(0);
  });

  test("a token valid for 30 days plans its refresh within a timer's reach (a longer delay fires at once: a refresh storm)", async () => {
    const now = 2_000_000_000_000;
    const { clock } = start({ token: () => jwtExpiring(now / 1000 + 30 * 86_400, 1), now: () => now });
    FakeSocket.last.open({ epoch: "E", seq: 0 });
    expect(clock.delays.at(-1)).toBe(2 ** 31 - 1);
  });

  test("a token function that fails is retried with backoff, saying why", async () => {
    let calls = 0;
    const { clock, states } = start({
      token: () => {
        if (++calls === 1) throw new Error("the login service is down");
        return "t2";
      },
    });
    expect(states.at(-1)?.text).toBe("reconnecting in 0.5 s (getting a token failed: the login service is down)");
    expect(FakeSocket.made).toHaveLength(0);
    clock.fire();
    expect(FakeSocket.last.query.get("token")).toBe("t2");
  });
});
