import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subscribe, type Item, type Subscription } from "../../src/client/index.ts";
import { startBinary, type BinaryServer } from "../helpers/binary.ts";

/**
 * The client's promise end to end: the compiled server is killed (SIGKILL) and started again on the
 * same port while a client reads and another publishes through the client; every seq arrives exactly once.
 */
const dir = mkdtempSync(join(tmpdir(), "stream-client-e2e-"));
const running: BinaryServer[] = [];
const subs: Subscription[] = [];
afterEach(async () => {
  for (const s of subs.splice(0)) s.close();
  for (const srv of running.splice(0)) if (srv.proc.exitCode === null) await srv.kill("SIGKILL");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAST = { initialMs: 50, maxMs: 500 };

/** Collects items until `stop` says enough, with each state the client went through. */
function reader(url: string) {
  const items: Item[] = [];
  const states: string[] = [];
  let wake: (() => void) | undefined;
  const sub = subscribe(url, { since: 0, backoff: FAST, onState: (s) => states.push(s.status), onItem: (item) => void (items.push(item), wake?.()) });
  subs.push(sub);
  return {
    sub, items, states,
    /** Resolves once `done(items)` holds. */
    async until(done: (items: Item[]) => boolean) {
      while (!done(items)) await new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

const seqsOf = (items: Item[]) => items.filter((i) => i.kind === "event").map((i) => (i as { seq: number }).seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test("with --data: killed mid-publish and restarted, every event is stored once and read once, with no reset", async () => {
  const data = join(dir, "durable");
  let srv = await startBinary(["--data", data]);
  running.push(srv);
  const { port } = srv;
  const read = reader(srv.url);
  const publisher = subscribe(srv.url, { receive: false, backoff: FAST });
  subs.push(publisher);

  // 300 publishes, 10 in flight at a time; the server dies after 100 acks, with publishes unacknowledged.
  let next = 0;
  let acked = 0;
  let killed!: () => void;
  const hundred = new Promise<void>((resolve) => (killed = resolve));
  const published: Array<{ seq: number }> = [];
  const lane = async () => {
    while (next < 300) {
      const i = next++;
      published.push(await publisher.publish({ type: "restart.test", id: `ev-${i}`, data: { i } }));
      if (++acked === 100) killed();
    }
  };
  const lanes = Promise.all(Array.from({ length: 10 }, lane));
  await hundred;
  await srv.kill("SIGKILL");
  expect(acked).toBeLessThan(300);
  srv = await startBinary(["--data", data, "--port", String(port)]);
  running.push(srv);
  await lanes;
  const stored = published.map((p) => p.seq).sort((a, b) => a - b);
  expect(new Set(stored).size).toBe(300); // one seq per id, duplicates (re-sent after the kill) answered with theirs
  await read.until((items) => seqsOf(items).length >= 300);
  expect(seqsOf(read.items)).toEqual(range(1, 300));
  expect(read.items.some((i) => i.kind === "reset")).toBe(false);
  expect(new Set(read.items.map((i) => (i as { id: string }).id)).size).toBe(300);
  expect(read.states).toContain("reconnecting");
  expect(read.sub.state.status).toBe("live");
}, 120_000);

test("without --data: the restart is a reset item (a new epoch), then the new history from seq 1, each once", async () => {
  let srv = await startBinary();
  running.push(srv);
  const { port } = srv;
  const read = reader(srv.url);
  const publisher = subscribe(srv.url, { receive: false, backoff: FAST });
  subs.push(publisher);
  await Promise.all(range(1, 50).map((i) => publisher.publish({ type: "before", data: { i } })));
  await read.until((items) => seqsOf(items).length >= 50);
  const before = read.sub.position!;
  expect(before.seq).toBe(50);

  await srv.kill("SIGKILL");
  srv = await startBinary(["--port", String(port)]);
  running.push(srv);
  await Promise.all(range(1, 30).map((i) => publisher.publish({ type: "after", data: { i } })));
  await read.until((items) => seqsOf(items).length >= 80);

  const reset = read.items[50]!;
  expect(reset).toMatchObject({ kind: "reset", reason: "epoch_changed", since: 50, next: 1 });
  expect((reset as { epoch: string }).epoch).not.toBe(before.epoch);
  expect(seqsOf(read.items)).toEqual([...range(1, 50), ...range(1, 30)]);
  expect(read.sub.position).toEqual({ epoch: (reset as { epoch: string }).epoch, seq: 30 });
}, 120_000);
