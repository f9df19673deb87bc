import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../helpers/client.ts";
import { postJson } from "../helpers/server.ts";
import { runBinary, startBinary, type BinaryServer } from "../helpers/binary.ts";

const dir = mkdtempSync(join(tmpdir(), "stream-data-"));
const running: BinaryServer[] = [];
afterAll(async () => {
  for (const srv of running) if (srv.proc.exitCode === null) await srv.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("durable history (--data)", () => {
  test("1,000 events survive SIGKILL: a client resuming from 0 gets them all, same epoch; the next gets seq 1001", async () => {
    const first = await startBinary(["--data", dir]);
    running.push(first);
    const hello = await (await connect(`ws://127.0.0.1:${first.port}/ws`)).next();

    // 500 one-event requests (ten at a time), then 5 batches of 100: every 2xx must be on disk.
    const seqs: number[] = [];
    for (let i = 0; i < 500; i += 10) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, j) => postJson(`${first.url}/api/events`, { type: "durable", data: { n: i + j } })));
      for (const a of answers) {
        expect(a.status).toBe(200);
        seqs.push(a.body.items[0].seq);
      }
    }
    for (let b = 0; b < 5; b++) {
      const batch = Array.from({ length: 100 }, (_, j) => ({ type: "durable", data: { n: 500 + b * 100 + j } }));
      const a = await postJson(`${first.url}/api/events`, batch);
      expect(a.status).toBe(200);
      seqs.push(...a.body.items.map((x: any) => x.seq));
    }
    expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));

    expect(await first.kill("SIGKILL")).not.toBe(0);

    const second = await startBinary(["--data", dir]);
    running.push(second);
    const ws = await connect(`ws://127.0.0.1:${second.port}/ws?since=0&epoch=${hello.epoch}`);
    expect(await ws.next()).toMatchObject({ kind: "hello", epoch: hello.epoch, seq: 1000, resume: { since: 0, complete: true } });
    const frames = await ws.take(1000);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(new Set(frames.map((f) => f.data.n)).size).toBe(1000);

    const next = await postJson(`${second.url}/api/events`, { type: "after-restart" });
    expect(next.body.items[0].seq).toBe(1001);
    expect(await ws.next()).toMatchObject({ kind: "event", seq: 1001, type: "after-restart" });
    ws.close();
  }, 120_000);

  test("a second server on the same --data directory refuses to start and says why", async () => {
    const other = mkdtempSync(join(tmpdir(), "stream-data-"));
    const holder = await startBinary(["--data", other]);
    running.push(holder);
    const res = await runBinary(["--port", "0", "--host", "127.0.0.1", "--data", other]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("in use by another stream-server");
    await holder.kill();
    rmSync(other, { recursive: true, force: true });
  }, 60_000);

  test("an unusable STREAM_DATA is named as the user set it, not as --data", async () => {
    const file = join(dir, "not-a-directory");
    await Bun.write(file, "x");
    const res = await runBinary(["--port", "0", "--host", "127.0.0.1"], { STREAM_DATA: file });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`cannot open the history database ${join(file, "stream-server.sqlite")} (STREAM_DATA)`);
    expect(res.stderr).not.toContain("--data");
  }, 60_000);

  test("--data with --redis is refused at start: the history lives in one place", async () => {
    const res = await runBinary(["--data", dir, "--redis", "redis://127.0.0.1:1"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--data and --redis cannot be combined");
  }, 60_000);
});
