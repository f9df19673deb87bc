import type { Config } from "./config.ts";
import { messageOf } from "./error-text.ts";

/** `stream-server healthcheck`: GETs /api/health on the local port; exit 0 when the server says ok. For Docker's HEALTHCHECK. */
export async function runHealthcheck(config: Config): Promise<number> {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.port}/api/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { status?: string };
    if (res.ok && body.status === "ok") {
      console.log(`healthy: ${url}`);
      return 0;
    }
    console.error(`unhealthy: ${url} answered ${res.status} with status ${JSON.stringify(body.status)}`);
  } catch (err) {
    console.error(`unhealthy: could not reach ${url}: ${messageOf(err)}`);
  }
  return 1;
}
