import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log/logger.ts";
import { startServer, type RunningServer } from "../../src/server.ts";

/** A real server on a free port, with its log lines captured instead of printed. */
export interface TestServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT + path */
  ws(path: string): string;
  /** Every log line written so far, parsed from JSON. */
  logs: Array<Record<string, unknown>>;
  server: RunningServer;
  stop(): Promise<void>;
}

/** Starts the server in-process on 127.0.0.1, port 0, with extra command-line flags. */
export function startTestServer(flags: string[] = []): TestServer {
  const config = loadConfig(["--port", "0", "--host", "127.0.0.1", "--log-level", "debug", ...flags], {});
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: config.logLevel, format: "json", write: (line) => logs.push(JSON.parse(line)) });
  const server = startServer(config, logger);
  const url = server.url.origin;
  return {
    url,
    ws: (path) => `ws://127.0.0.1:${server.port}${path}`,
    logs,
    server,
    stop: () => server.stop(),
  };
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
