import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeHandshake } from "../../src/client/handshake.ts";
import { subscribe } from "../../src/client/index.ts";
import { eventually } from "../helpers/eventually.ts";
import { targetOf } from "../../src/client/address.ts";
import { health, postJson, useServer } from "../helpers/server.ts";

/**
 * The client as users get it: the module the server serves at /client.js, imported from the file it was
 * fetched into, against a real server. (The state machine's corner cases are in test/unit/client.test.ts.)
 */
const start = useServer();
const dir = mkdtempSync(join(tmpdir(), "stream-client-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let served: Promise<typeof import("../../src/client/index.ts")> | undefined;
/** Fetches /client.js once and imports it (the exact bytes a browser page would run). */
function servedClient(url: string) {
  served ??= (async () => {
    const res = await fetch(`${url}/client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const file = join(dir, "client.js");
    writeFileSync(file, await res.text());
    return import(file);
  })();
  return served;
}

test("the served client reads events, publishes with acks and resumes after a drop without a gap or a repeat", async () => {
  const srv = start();
  const { subscribe } = await servedClient(srv.url);
  const sub = subscribe(srv.url);
  const it = sub[Symbol.asyncIterator]();
  await postJson(`${srv.url}/api/events`, { type: "before.connect" }); // may or may not be seen: live only
  const published = await sub.publish([{ type: "order.placed", id: "o-1" }, { type: "order.filled" }]);
  expect(published.map((p: any) => p.id)[0]).toBe("o-1");
  const again = await sub.publish({ type: "order.placed", id: "o-1" });
  expect(again).toEqual({ ...published[0]!, duplicate: true });
  const seqs: number[] = [];
  while (seqs.at(-1) !== published[1]!.seq) seqs.push((await it.next()).value.seq);

  sub.reconnect();
  await postJson(`${srv.url}/api/events`, [{ type: "while.away" }, { type: "while.away" }]);
  for (let i = 0; i < 2; i++) seqs.push((await it.next()).value.seq);
  const first = seqs[0]!;
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => first + i));
  expect(sub.state.status).toBe("live");
  sub.close();
  await sub.done;
});

test("a refused handshake (no token, bad query) ends the subscription with the server's words instead of retrying", async () => {
  const srv = start(["--subscribe-token", "client-sub-secret-1"]);
  expect((await fetch(`${srv.url}/client.js`)).status).toBe(200); // code, not data: a page loads it before it has a token
  const { subscribe, StreamRefusedError } = await servedClient(srv.url);
  const states: string[] = [];
  const noToken = subscribe(srv.url, { onState: (s: any) => states.push(s.text) });
  const err = await noToken.done.catch((e: any) => e);
  expect(err).toBeInstanceOf(StreamRefusedError);
  expect(err).toMatchObject({ status: 401, code: "unauthorized" });
  expect(states).toEqual(["connecting", `refused: ${err.message}`]);
  expect(err.message).toContain("needs a subscribe token");

  const badQuery = subscribe(srv.url, { channel: "logs", level: "loud" as any, token: "client-sub-secret-1" });
  expect(await badQuery.done.catch((e: any) => `${e.status} ${e.code}`)).toBe("400 invalid_query");

  let live!: () => void;
  const isLive = new Promise<void>((resolve) => (live = resolve));
  const good = subscribe(srv.url, { channel: "logs", level: "warn", token: "client-sub-secret-1", tokenIn: "query", onState: (s: any) => s.status === "live" && live() });
  await isLive; // live frames only: the line must come after the hello
  await postJson(`${srv.url}/api/logs`, { level: "warn", message: "client test line", source: "client-test" });
  for await (const item of good) {
    if (item.kind === "log" && item.message === "client test line") break;
  }
  expect(good.state.status).toBe("closed"); // leaving the loop closes it
});

test("the handshake probe asks for the stream as Server-Sent Events and hangs up at the status: accepted, refused, or busy", async () => {
  const srv = start(["--subscribe-token", "probe-sub-secret-1", "--max-connections", "1"]);
  const probe = (token?: string, query: Record<string, string> = {}) =>
    probeHandshake(targetOf({ url: `${srv.url}/ws/logs?${new URLSearchParams(query)}`, token, tokenIn: "query" }, {}), (url, init) => fetch(url, init));
  expect(await probe("probe-sub-secret-1")).toEqual({ retry: "the server accepts this stream but the connection failed" });
  const refused = await probe("wrong-token-1");
  expect("refused" in refused && refused.refused).toMatchObject({ status: 403, code: "forbidden" });
  const badQuery = await probe("probe-sub-secret-1", { level: "loud" });
  expect("refused" in badQuery && badQuery.refused).toMatchObject({ status: 400, code: "invalid_query" });
  // The accepted probe's stream was hung up: the one connection allowed is free again, for a subscriber.
  await eventually(async () => (await health(srv)).connections["/ws/logs"] === 0, "the probe's stream to close");
  const states: string[] = [];
  let live!: () => void;
  const isLive = new Promise<void>((resolve) => (live = resolve));
  const holder = subscribe(srv.url, { channel: "logs", token: "probe-sub-secret-1", onState: (st) => (states.push(st.text), st.status === "live" && live()) });
  await isLive;
  const busy = await probe("probe-sub-secret-1");
  expect(busy).toMatchObject({ retry: "the server answered 503" });
  expect("afterMs" in busy && busy.afterMs).toBeGreaterThan(0);
  holder.close();
});
