import { afterEach } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log/logger.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { configuredTokens, watchForTokens } from "./token-leaks.ts";

/** A real server on a free port, with its log lines captured instead of printed. */
export interface TestServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT + path */
  ws(path: string): string;
  /** Every log line written so far, parsed from JSON. */
  logs: Array<Record<string, unknown>>;
  server: RunningServer;
  /** Stops the server; a second call waits for the first stop. */
  stop(): Promise<void>;
  /** Resolves with the first log line (already written or coming) that matches. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Lets this test's server log errors on purpose (the after-each check otherwise fails the test). */
  allowErrorLogs(): void;
}

type Tracked = TestServer & { errorsAllowed?: boolean; checked?: number };

/** Every server started in this process, checked for error logs after each test (see test/setup.ts). */
const startedServers: Tracked[] = [];

/**
 * An error-level line that is not a designed answer: a 503 (Redis down, shutting down) is logged at
 * error by the access log but is the server working as documented; a 500 or an error outside a
 * request is a bug.
 */
function isUnexpectedError(line: Record<string, unknown>): boolean {
  if (line.level !== "error") return false;
  return !(typeof line.status === "number" && line.status > 500);
}

/** Error-level log lines written since the last call, from servers that do not allow them. */
export function newErrorLogs(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const srv of startedServers) {
    const fresh = srv.logs.slice(srv.checked ?? 0);
    srv.checked = srv.logs.length;
    if (!srv.errorsAllowed) out.push(...fresh.filter(isUnexpectedError));
  }
  return out;
}

/** Starts the server in-process on 127.0.0.1, port 0, with extra command-line flags. */
export function startTestServer(flags: string[] = []): TestServer {
  const config = loadConfig(["--port", "0", "--host", "127.0.0.1", "--log-level", "debug", ...flags], {});
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<(line: Record<string, unknown>) => void>();
  const logger = createLogger({
    level: config.logLevel,
    format: "json",
    write: (text) => {
      const line = JSON.parse(text);
      logs.push(line);
      for (const w of waiters) w(line);
    },
  });
  const server = startServer(config, logger);
  const url = server.url.origin;
  let stopped: Promise<void> | undefined;
  const srv: Tracked = {
    url,
    ws: (path) => `ws://127.0.0.1:${server.port}${path}`,
    logs,
    server,
    stop: () => (stopped ??= server.stop()),
    waitForLog: (predicate) =>
      new Promise((resolve) => {
        const found = logs.find(predicate);
        if (found) return resolve(found);
        const waiter = (line: Record<string, unknown>) => {
          if (!predicate(line)) return;
          waiters.delete(waiter);
          resolve(line);
        };
        waiters.add(waiter);
      }),
    allowErrorLogs: () => void (srv.errorsAllowed = true),
  };
  startedServers.push(srv);
  let tokensChecked = 0;
  watchForTokens(configuredTokens(config), () => {
    const fresh = logs.slice(tokensChecked);
    tokensChecked = logs.length;
    return fresh.map((line) => JSON.stringify(line));
  });
  return srv;
}

/**
 * One server per test: registers an afterEach (in the calling file or describe) that stops every server
 * the test started, and returns the starter.
 *
 *   const start = useServer();
 *   test("...", async () => { const srv = start(["--history-size", "10"]); ... });
 */
export function useServer(): (flags?: string[]) => TestServer {
  const started: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((srv) => srv.stop()));
  });
  return function startForThisTest(flags = []) {
    const srv = startTestServer(flags);
    started.push(srv);
    return srv;
  };
}

/** GET /api/health, parsed. */
export async function health(srv: { url: string }): Promise<any> {
  const res = await fetch(`${srv.url}/api/health`);
  if (res.status !== 200) throw new Error(`GET /api/health answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** POSTs JSON and returns status and parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}
