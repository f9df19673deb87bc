import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary } from "../helpers/binary.ts";
import { runCli, startCli } from "../helpers/cli.ts";
import { postJson, useServer } from "../helpers/server.ts";

/** `stream-server tail`, the compiled executable against a real server. */
const start = useServer();
const dir = mkdtempSync(join(tmpdir(), "stream-tail-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (lines: string[]) => lines.map((l) => JSON.parse(l).seq as number);
const publish = (url: string, n: number, type = "tail.test") => postJson(`${url}/api/events`, Array.from({ length: n }, (_, i) => ({ type, data: { i } })));

describe("stream-server tail", () => {
  // Printing a line and renaming the cursor past it are two system calls, one after the other: a kill that
  // arrives during the print's write takes effect as it returns, and that frame is printed again on
  // restart. No order avoids it (the other order skips the frame instead), so the test holds the tail to
  // exactly that: no skip ever, and a repeat only of the last line the killed tail printed.
  test("--cursor-file: killed with SIGKILL at random moments and started again, it never skips; it repeats at most the line printed at the kill", async () => {
    const srv = start();
    const cursor = join(dir, "kill9.cursor");
    const runs: number[][] = [];
    const args = ["tail", srv.url, "--json", "--since", "0", "--cursor-file", cursor];
    for (let kill = 0; kill < 8; kill++) {
      await publish(srv.url, 35); // each tail has a backlog to replay when it starts, and is killed in it
      const tail = await startCli(args);
      await tail.waitForLines(1);
      await Bun.sleep(Math.random() * 10); // a random moment while it reads, not one tied to its output
      tail.proc.kill("SIGKILL");
      await tail.exited;
      runs.push(seqs(tail.lines())); // every line it wrote before dying
    }
    await publish(srv.url, 20);
    const last = await startCli(args);
    await last.waitForLine(/"seq":300,/);
    last.proc.kill("SIGTERM");
    expect(await last.exited).toBe(0);
    runs.push(seqs(last.lines()));
    let repeats = 0;
    for (let i = 1; i < runs.length; i++) {
      const before = runs[i - 1]!.at(-1)!;
      const first = runs[i]![0]!;
      if (first === before) repeats++;
      else expect(first).toBe(before + 1); // never a skip
    }
    const printed = runs.flat();
    expect(printed.length - repeats).toBe(300);
    expect([...new Set(printed)]).toEqual(range(1, 300));
    if (repeats > 0) console.log(`tail kill -9 test: ${repeats} of 8 kills landed between a line and its cursor write`);
    expect(JSON.parse(readFileSync(cursor, "utf8"))).toMatchObject({ seq: 300 });
  }, 120_000);

  test("follows the server across a restart with --data: nothing missed, nothing twice; hello and reconnects on stderr", async () => {
    const data = join(dir, "restart-data");
    let srv = await startBinary(["--data", data]);
    const { port } = srv;
    try {
      const tail = await startCli(["tail", srv.url, "--json"]);
      await tail.waitForStderr(/connected to .* latest seq 0/);
      await publish(srv.url, 5);
      await tail.waitForLines(5);
      await srv.kill("SIGKILL");
      await tail.waitForStderr(/reconnecting in \d+\.\d s/);
      srv = await startBinary(["--data", data, "--port", String(port)]);
      await publish(srv.url, 5);
      await tail.waitForLines(10);
      tail.proc.kill("SIGINT");
      expect(await tail.exited).toBe(0);
      expect(seqs(tail.lines())).toEqual(range(1, 10));
      expect(tail.stderr()).toContain("resuming after seq 5");
    } finally {
      await srv.kill("SIGKILL");
    }
  }, 120_000);

  test("on a reset it prints what was lost and exits 3; --on-reset continue goes on from the next seq", async () => {
    const srv = start(["--history-size", "5"]);
    await publish(srv.url, 20);
    const stopped = await runCli(["tail", srv.url, "--since", "1", "--json"]);
    expect(stopped.code).toBe(3);
    expect(stopped.stdout).toBe("");
    expect(stopped.stderr).toContain("reset (history_exceeded)");
    expect(stopped.stderr).toContain("seqs 2–15 are lost; the stream continues at seq 16");

    const cursor = join(dir, "reset.cursor");
    const going = await startCli(["tail", srv.url, "--since", "1", "--json", "--on-reset", "continue", "--cursor-file", cursor]);
    await going.waitForLines(5);
    going.proc.kill("SIGTERM");
    expect(await going.exited).toBe(0);
    expect(seqs(going.lines())).toEqual(range(16, 20));
    expect(JSON.parse(readFileSync(cursor, "utf8")).seq).toBe(20);
  }, 60_000);

  test("--exec runs once per event with the frame on stdin and STREAM_SEQ/STREAM_TYPE; a failure is retried before the cursor moves", async () => {
    const srv = start();
    const log = join(dir, "exec.log");
    const failOnce = join(dir, "fail-once");
    writeFileSync(failOnce, "");
    // Fails the first time it sees seq 2 (removing the marker), succeeds after.
    const script = `read -r frame; if [ "$STREAM_SEQ" = 2 ] && [ -e ${failOnce} ]; then rm ${failOnce}; echo "fail $STREAM_SEQ" >> ${log}; exit 1; fi; echo "$STREAM_SEQ $STREAM_TYPE $frame" >> ${log}`;
    const cursor = join(dir, "exec.cursor");
    const tail = await startCli(["tail", srv.url, "--json", "--since", "0", "--cursor-file", cursor, "--exec", script]);
    await publish(srv.url, 3, "exec.test");
    await tail.waitForStderr(/--exec exited with status 1 for seq 2; retrying in \d+\.\d s/);
    await tail.waitForLines(3);
    tail.proc.kill("SIGTERM"); // exits 0 once the command for seq 3 has run: the current event is finished first
    expect(await tail.exited).toBe(0);
    const runs = readFileSync(log, "utf8").trim().split("\n");
    expect(runs.map((r) => r.split(" ").slice(0, 2).join(" "))).toEqual(["1 exec.test", "fail 2", "2 exec.test", "3 exec.test"]);
    expect(JSON.parse(runs[0]!.split(" ").slice(2).join(" "))).toMatchObject({ kind: "event", seq: 1, type: "exec.test" });
    expect(JSON.parse(readFileSync(cursor, "utf8")).seq).toBe(3);
  }, 60_000);

  test("--since-time replays from a time, then follows", async () => {
    const srv = start();
    await publish(srv.url, 3);
    const tail = await startCli(["tail", srv.url, "--json", "--since-time", "-1h"]);
    await tail.waitForLines(3);
    await publish(srv.url, 1);
    await tail.waitForLines(4);
    tail.proc.kill("SIGINT");
    expect(await tail.exited).toBe(0);
    expect(seqs(tail.lines())).toEqual([1, 2, 3, 4]);
  }, 60_000);

  test("a refused stream is named and not retried (exit 1); bad flags exit 2 with a pointer to --help", async () => {
    const srv = start(["--subscribe-token", "tail-sub-secret-1"]);
    const refused = await runCli(["tail", srv.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refused");
    expect(refused.stderr).toContain("401 unauthorized");
    const withToken = await startCli(["tail", srv.url], { env: { STREAM_TOKEN: "tail-sub-secret-1" } }); // sent as a header
    await withToken.waitForStderr(/connected to /);
    withToken.proc.kill("SIGTERM");
    expect(await withToken.exited).toBe(0);
    const badLevel = await runCli(["tail", srv.url, "--logs", "--level", "loud"]);
    expect(badLevel.code).toBe(2);
    expect(badLevel.stderr).toContain("--level must be one of debug, info, warn, error");
    const unknown = await runCli(["tail", "--typo"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("(see stream-server tail --help)");
    const help = await runCli(["tail", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--cursor-file F");
  }, 60_000);
});
