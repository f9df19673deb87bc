import { spawn, type Subprocess } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./redis.ts";
import { describeIfInstalled, findProgram } from "./requires.ts";

/**
 * Debian's nginx, run by the test as its own process (never the system service): a private prefix,
 * config, error log and port, in the foreground, in front of the servers the test started. The server
 * block is deploy/nginx/stream-server.conf as shipped, with only its upstream servers and listen port
 * replaced; the http block around it is Debian's defaults (mime types, sendfile, gzip on) plus gzip for
 * event streams and JSON, a common setting under which a server block that buffered Server-Sent Events
 * would hold each event back until more arrived (checked: with `proxy_buffering on` and no
 * X-Accel-Buffering from the server, the SSE test hangs).
 */
const NGINX = findProgram("nginx");

/** `describe`, or `describe.skip` with a loud reason when nginx is missing. */
export const describeNginx = describeIfInstalled("nginx", "nginx tests");

export const SHIPPED_CONF = join(import.meta.dir, "..", "..", "deploy", "nginx", "stream-server.conf");

export interface Nginx {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** What nginx wrote to its error log so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

/** The shipped server block, pointed at `upstreams` (host:port) and listening on 127.0.0.1:`port`. */
export function serverBlockFor(upstreams: string[], port: number, text = readFileSync(SHIPPED_CONF, "utf8")): string {
  const servers = /^(\s*)server\s+[^\s;]+:\d+;\n(?:\s*server\s+[^\s;]+:\d+;\n)*/m;
  const listen = /^(\s*)listen\s+80;$/m;
  if (!servers.test(text) || !listen.test(text)) {
    throw new Error(`${SHIPPED_CONF} no longer has the "server host:port;" lines and "listen 80;" this test replaces; update test/helpers/nginx.ts`);
  }
  return text
    .replace(servers, (_m, indent: string) => upstreams.map((u) => `${indent}server ${u};\n`).join(""))
    .replace(listen, (_m, indent: string) => `${indent}listen 127.0.0.1:${port};`);
}

/** Starts nginx with the shipped server block in front of `upstreams`; resolves once it accepts connections. */
export async function startNginx(upstreams: string[]): Promise<Nginx> {
  if (!NGINX) throw new Error("nginx is not installed; guard the test with describeNginx");
  const dir = mkdtempSync(join(tmpdir(), "stream-nginx-"));
  for (const sub of ["logs", "temp"]) mkdirSync(join(dir, sub));
  const port = await freePort();
  writeFileSync(join(dir, "stream-server.conf"), serverBlockFor(upstreams, port));
  const mime = existsSync("/etc/nginx/mime.types") ? "include /etc/nginx/mime.types;" : "";
  writeFileSync(join(dir, "nginx.conf"), `
daemon off;
# One process: no worker that drops to another user and could not write this private prefix (tests run as root in CI).
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log info;
events { worker_connections 1024; }
http {
  ${mime}
  default_type application/octet-stream;
  sendfile on;
  gzip on;
  gzip_types text/event-stream application/json;
  access_log ${dir}/logs/access.log;
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  include ${dir}/stream-server.conf;
}
`);
  const errorLog = () => (existsSync(join(dir, "logs", "error.log")) ? readFileSync(join(dir, "logs", "error.log"), "utf8") : "");
  const args = [NGINX, "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs", "error.log")];
  // nginx -t first: a config it refuses fails here with nginx's own words.
  const check = spawn([...args, "-t"], { stdout: "pipe", stderr: "pipe" });
  if ((await check.exited) !== 0) throw new Error(`nginx -t refused the config:\n${await new Response(check.stderr).text()}\n${errorLog()}`);
  const proc: Subprocess<"ignore", "pipe", "pipe"> = spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  await untilListening(port, proc, errorLog);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    errorLog,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await proc.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nginx prints nothing when it is ready: wait until its port accepts a connection, or it exits. */
async function untilListening(port: number, proc: Subprocess, errorLog: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}) before listening:\n${errorLog()}`);
    const connected = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then((s) => (s.end(), true), () => false);
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within 20 s:\n${errorLog()}`);
    await Bun.sleep(25);
  }
}
