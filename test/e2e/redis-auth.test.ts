import { RedisClient, spawn } from "bun";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { buildBinary, startBinary } from "../helpers/binary.ts";
import { eventually } from "../helpers/eventually.ts";
import { describeRedis, startRedis, uniquePrefix, type RedisServer } from "../helpers/redis.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

/** The longest a refused start may take: Redis answers at once, so seconds mean "still retrying". */
const PROMPT_MS = 5_000;

/** Runs the executable with `args` until it exits, or kills it after `ms` (a server that retries forever). */
async function runToExit(args: string[], ms = 3 * PROMPT_MS) {
  const started = Date.now();
  const proc = spawn([await buildBinary(), "--port", "0", "--host", "127.0.0.1", ...args], {
    stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeout: ms, killSignal: "SIGKILL",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** A Redis with requirepass: a refusal is reported as what it is, once, and the start fails; the right password works. */
describeRedis("--redis against a Redis that requires a password", () => {
  const password = `pw-${crypto.randomUUID()}`;
  let redis: RedisServer;
  beforeAll(async () => {
    await buildBinary();
    redis = await startRedis({ password });
  }, 120_000);
  afterAll(() => redis?.stop());
  const url = (auth: string, db = "") => `redis://${auth}127.0.0.1:${redis.port}${db}`;

  test.each([
    ["a wrong password", ":not-the-password@", "", /answered "WRONGPASS[^"]*": the user name or password is wrong; correct them in the --redis URL/],
    ["no password", "", "", /answered "NOAUTH[^"]*": Redis requires a password; the URL has none: add it to the --redis URL/],
    ["a database Redis does not have", `:${password}@`, "/99", /answered "ERR DB index is out of range": Redis has no database 99; choose one it has/],
  ])("%s: exits 1 within seconds, saying what is wrong and where to fix it, once", async (_, auth, db, says) => {
    const run = await runToExit(["--redis", url(auth, db)]);
    expect(run.stderr).toMatch(says);
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(PROMPT_MS);
    expect(run.stderr.match(/answered/g)).toHaveLength(1);
    expect(run.stdout).not.toMatch(/waiting for Redis|Connection closed/);
    // Neither the right password nor the wrong one appears; the URL shows *** in its place.
    for (const secret of [password, "not-the-password"]) expect(run.stdout + run.stderr).not.toContain(secret);
    if (auth) expect(run.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}${db}`);
  }, 30_000);

  test("the right password: it connects and listens", async () => {
    const srv = await startBinary(["--redis", url(`:${password}@`)]); // the token guard watches its output for the password
    try {
      const health = (await (await fetch(`${srv.url}/api/health`)).json()) as { status: string };
      expect(health.status).toBe("ok");
      expect(srv.output()).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    } finally {
      expect(await srv.kill()).toBe(0);
    }
  }, 30_000);
});

/** Redis that starts refusing a server that was already running: an operator may be fixing it, so the server waits. */
describeRedis("--redis when a running server's Redis starts asking for a password", () => {
  let redis: RedisServer;
  let srv: TestServer | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await srv?.stop();
    await redis?.stop();
  });

  test("keeps retrying, says Redis's answer in the log and /api/health, and recovers once the password is gone", async () => {
    srv = startTestServer(["--redis", redis.url, "--redis-prefix", uniquePrefix()]);
    await srv.server.ready;
    const admin = new RedisClient(redis.url); // connected before requirepass: stays authenticated
    try {
      await admin.send("CONFIG", ["SET", "requirepass", `pw-${crypto.randomUUID()}`]);
      await admin.send("CLIENT", ["KILL", "TYPE", "normal", "SKIPME", "yes"]);
      await srv.waitForLog((l) => l.level === "warn" && /answered "NOAUTH[^"]*": Redis requires a password.*retrying in/.test(String(l.msg)));
      // Each of the two links (publish, stream reader) logs its own refusal; health names the first one that is
      // down, which may still say "Connection closed" until it too has reconnected and been refused.
      const health = async () => (await (await fetch(`${srv!.url}/api/health`)).json()) as { status: string; reason: string };
      await eventually(async () => {
        const { status, reason } = await health();
        return status === "degraded" && (reason?.includes('answered "NOAUTH') ?? false);
      }, "health to be degraded, giving Redis's answer");
      await admin.send("CONFIG", ["SET", "requirepass", ""]);
      await srv.waitForLog((l) => /connection to Redis restored/.test(String(l.msg)));
      await eventually(async () => ((await (await fetch(`${srv!.url}/api/health`)).json()) as { status: string }).status === "ok", "health to be ok again");
    } finally {
      admin.close();
    }
  }, 30_000);
});
