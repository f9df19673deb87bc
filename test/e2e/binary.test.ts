import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../helpers/client.ts";
import { postJson } from "../helpers/server.ts";
import { buildBinary, runBinary, startBinary, type BinaryServer } from "../helpers/binary.ts";

describe("the compiled executable", () => {
  let srv: BinaryServer;
  beforeAll(async () => {
    await buildBinary();
    srv = await startBinary();
  }, 120_000);
  afterAll(async () => {
    await srv?.kill();
  });

  test("prints its URL, accepts a subscriber, publishes and delivers", async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ws = await connect(`ws://127.0.0.1:${srv.port}/api/stream`);
    expect((await ws.next()).kind).toBe("hello");
    const res = await postJson(`${srv.url}/api/events`, { type: "order.placed", data: { qty: 1 } });
    expect(res.status).toBe(200);
    expect(await ws.next()).toMatchObject({ kind: "event", seq: 1, type: "order.placed", data: { qty: 1 } });
    ws.close();
  });

  test("healthcheck subcommand exits 0 against a running server and 1 when nothing listens", async () => {
    const ok = await runBinary(["healthcheck", "--port", String(srv.port), "--host", "127.0.0.1"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("healthy");
    const closedPort = await runBinary(["healthcheck", "--port", "1", "--host", "127.0.0.1"]);
    expect(closedPort.code).toBe(1);
    expect(closedPort.stderr).toContain("could not reach");
  });

  test("a port already in use exits non-zero and says so", async () => {
    const res = await runBinary(["--port", String(srv.port), "--host", "127.0.0.1"]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`port ${srv.port} is already in use`);
  });

  test.each([
    [["--port", "abc"], "--port expects a port number from 0 to 65535"],
    [["--port", "70000"], "--port expects a port number from 0 to 65535"],
    [["--bogus"], "unknown option --bogus"],
    [["--log-level", "loud"], "--log-level expects one of debug, info, warn, error"],
    [["--log-format", "xml"], "--log-format expects pretty or json"],
    [["--compression", "gzip"], "--compression expects off or on"],
    [["--port"], "--port needs a value"],
  ])("bad command line %p exits 2 with one line naming the flag", async (args, message) => {
    const res = await runBinary(args as string[]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).not.toContain("    at ");
  });

  test("a bad environment variable names the variable", async () => {
    const res = await runBinary([], { PORT: "eighty" });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("PORT (environment) expects a port number");
  });

  test("needs no Bun, Node or Python on the PATH", async () => {
    const res = await runBinary(["--version"], { PATH: "/nonexistent" });
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("the start-up line with the URL is printed even at --log-level error", async () => {
    const quiet = await startBinary(["--log-level", "error", "--log-format", "json"]);
    try {
      expect(JSON.parse(quiet.output().trim().split("\n")[0]!)).toMatchObject({ level: "info", msg: `listening on ${quiet.url}` });
    } finally {
      expect(await quiet.kill()).toBe(0);
    }
  });

  test("STREAM_COMPRESSION=on: a browser-like client negotiates permessage-deflate and reads the same frames", async () => {
    const compressed = await startBinary([], { STREAM_COMPRESSION: "on" });
    try {
      const ws = await connect(`ws://127.0.0.1:${compressed.port}/ws`); // Bun's client offers it, as browsers do
      expect(ws.ws.extensions).toStartWith("permessage-deflate");
      expect((await ws.next()).kind).toBe("hello");
      expect((await postJson(`${compressed.url}/api/events`, { type: "order.placed", data: { qty: 2 } })).status).toBe(200);
      expect(await ws.next()).toMatchObject({ kind: "event", seq: 1, type: "order.placed", data: { qty: 2 } });
      ws.close();
      // The default server answers the same offer with plain frames.
      const plain = await connect(`ws://127.0.0.1:${srv.port}/ws`);
      expect(plain.ws.extensions).toBe("");
      plain.close();
    } finally {
      expect(await compressed.kill()).toBe(0);
    }
  });

  test("healthcheck reads PORT from the environment, as in the Docker image", async () => {
    const res = await runBinary(["healthcheck"], { PORT: String(srv.port), HOST: "127.0.0.1" });
    expect(res.code).toBe(0);
  });

  test("--help and --version", async () => {
    const help = await runBinary(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--port", "--host", "--cors-origin", "--log-level", "--log-format", "--compression", "healthcheck"]) expect(help.stdout).toContain(flag);
    const version = await runBinary(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
