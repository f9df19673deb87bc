import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary } from "../helpers/binary.ts";
import { runCli, startCli } from "../helpers/cli.ts";
import { useServer } from "../helpers/server.ts";

/** `stream-server publish`, the compiled executable against a real server. */
const start = useServer();
const dir = mkdtempSync(join(tmpdir(), "stream-publish-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const history = async (url: string, path = "/api/events"): Promise<any[]> => ((await (await fetch(`${url}${path}?since=0&limit=1000`)).json()) as any).items;

describe("stream-server publish", () => {
  test("one event: prints its seq; --json prints the answer; the same --id again is a duplicate", async () => {
    const srv = start();
    const one = await runCli(["publish", srv.url, "order.filled", "--data", '{"qty":5}', "--source", "strategy/alpha", "--id", "fill-1"]);
    expect(one).toMatchObject({ code: 0, stdout: "1" });
    const again = await runCli(["publish", srv.url, "order.filled", "--id", "fill-1", "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ accepted: 1, items: [{ seq: 1, id: "fill-1", duplicate: true }] });
    expect(await history(srv.url)).toEqual([expect.objectContaining({ seq: 1, id: "fill-1", type: "order.filled", source: "strategy/alpha", data: { qty: 5 } })]);
  }, 60_000);

  test("a log line with --logs LEVEL MESSAGE and --fields", async () => {
    const srv = start();
    const res = await runCli(["publish", srv.url, "--logs", "warn", "risk limit at 90%", "--source", "risk-engine", "--fields", '{"used":0.9}']);
    expect(res.code).toBe(0);
    const seq = Number(res.stdout);
    const line = (await history(srv.url, "/api/logs")).find((l) => l.seq === seq);
    expect(line).toMatchObject({ level: "warn", message: "risk limit at 90%", source: "risk-engine", fields: { used: 0.9 } });
  }, 60_000);

  test("NDJSON on stdin: batched by --max-batch, one seq per line; blank lines are skipped", async () => {
    const srv = start();
    const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ type: "stdin.test", id: `line-${i}`, data: { i } }));
    const res = await runCli(["publish", srv.url, "--max-batch", "10"], { stdin: `${lines.slice(0, 12).join("\n")}\n\n${lines.slice(12).join("\n")}` });
    expect(res.code).toBe(0);
    expect(res.stdout.split("\n").map(Number)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect((await history(srv.url)).map((e) => e.id)).toEqual(lines.map((l) => JSON.parse(l).id));
  }, 60_000);

  test("a bad line names its line number: not JSON, or refused by the server (its batch is not published, earlier ones are)", async () => {
    const srv = start();
    const notJson = await runCli(["publish", srv.url], { stdin: '{"type":"a"}\n{"type":"b"}\n{type: c}\n{"type":"d"}\n' });
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain("line 3 is not JSON");
    expect((await history(srv.url)).map((e) => e.type)).toEqual(["a", "b"]);

    const invalid = await runCli(["publish", srv.url, "--max-batch", "2"], { stdin: '{"type":"c"}\n{"type":"d"}\n{"type":"e"}\n{"type":"not valid"}\n' });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("refused: invalid_event");
    expect(invalid.stderr).toMatch(/line 4: type: type must be/);
    expect(invalid.stderr).toContain("nothing from lines 3–4 was published (one batch); lines before 3 were");
    expect((await history(srv.url)).map((e) => e.type)).toEqual(["a", "b", "c", "d"]);
  }, 60_000);

  test("batches the server cannot take end with its words, not retries: over its --max-frame-bytes (1009) or its --max-batch", async () => {
    const srv = start(["--max-frame-bytes", "4096", "--max-batch", "5"]);
    const long = (i: number) => JSON.stringify({ type: "long.line", id: `long-${i}`, data: "x".repeat(1500) });
    const tooBig = await runCli(["publish", srv.url, "--max-batch", "4", "--timeout", "0"], { stdin: `{"type":"a"}\n{"type":"b"}\n${[1, 2, 3, 4, 5].map(long).join("\n")}\n` });
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toContain("refused: frame_too_big");
    expect(tooBig.stderr).toContain("--max-frame-bytes");
    expect(tooBig.stderr).toContain("nothing from lines 5–7 was published (one batch); lines before 5 were");
    expect((await history(srv.url)).map((e) => e.type)).toEqual(["a", "b", "long.line", "long.line"]);

    const tooMany = await runCli(["publish", srv.url], { stdin: Array.from({ length: 8 }, (_, i) => `${JSON.stringify({ type: "many", id: `m-${i}` })}\n`).join("") });
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain("nothing from lines 1–8 was published (one batch)");
    expect(tooMany.stderr).toContain("a batch holds at most 5 events");
  }, 60_000);

  test("refusals print the server's words and exit 1; bad command lines exit 2", async () => {
    const srv = start(["--publish-token", "cli-pub-secret-1"]);
    const noToken = await runCli(["publish", srv.url, "order.filled"]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain("refused: unauthorized");
    const ok = await runCli(["publish", srv.url, "order.filled"], { env: { STREAM_TOKEN: "cli-pub-secret-1" } });
    expect(ok).toMatchObject({ code: 0, stdout: "1" });
    const badData = await runCli(["publish", srv.url, "x", "--data", "{qty: 5}"]);
    expect(badData.code).toBe(2);
    expect(badData.stderr).toContain("--data is not JSON");
    const help = await runCli(["publish", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--max-batch N");
  }, 60_000);

  test("stdin publishing survives a server restart (--data): the unacknowledged batch is sent again and stored once", async () => {
    const data = join(dir, "restart");
    let srv = await startBinary(["--data", data]);
    const { port } = srv;
    try {
      const publisher = await startCli(["publish", srv.url, "--max-batch", "1"], { openStdin: true });
      // Lines written one at a time; the server dies between two of them.
      publisher.proc.stdin.write('{"type":"r","id":"r-1"}\n');
      await publisher.waitForLines(1);
      await srv.kill("SIGKILL");
      publisher.proc.stdin.write('{"type":"r","id":"r-2"}\n{"type":"r","id":"r-3"}\n');
      await publisher.waitForStderr(/reconnecting in/);
      srv = await startBinary(["--data", data, "--port", String(port)]);
      await publisher.proc.stdin.end();
      expect(await publisher.exited).toBe(0);
      expect(publisher.lines()).toEqual(["1", "2", "3"]);
      expect((await history(srv.url)).map((e) => e.id)).toEqual(["r-1", "r-2", "r-3"]);
    } finally {
      await srv.kill("SIGKILL");
    }
  }, 120_000);

  test("a server that stays down: it gives up after --timeout with status 4, saying what to do, instead of retrying for ever", async () => {
    // A port that was free a moment ago: nothing answers there.
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${probe.port}`;
    probe.stop(true);
    const one = await runCli(["publish", url, "order.filled", "--id", "fill-9", "--timeout", "1"]);
    expect(one.code).toBe(4);
    expect(one.stderr).toContain("gave up: no acknowledgement within 1 s");
    expect(one.stderr).toContain("same ids");
    const lines = await runCli(["publish", url, "--timeout", "1"], { stdin: '{"type":"a","id":"a-1"}\n{"type":"b","id":"b-1"}\n' });
    expect(lines.code).toBe(4);
    expect(lines.stderr).toContain("lines 1–2 were not acknowledged");
    const bad = await runCli(["publish", url, "order.filled", "--timeout", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--timeout must be a whole number");
  }, 60_000);
});
