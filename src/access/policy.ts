/**
 * Which role a request needs. One table for every way in (HTTP routes, SSE, WebSocket upgrades), so
 * a route added later is guarded by default instead of open by default.
 */
export type Role = "open" | "publisher" | "subscriber";

/**
 * Paths anyone may read, with or without tokens: liveness, the API description, the console page, the
 * client's code (a page loads it before it has a token to send), and /metrics, which has its own
 * --metrics-token (a scraper holds that token, not a subscriber's).
 */
const OPEN_PATHS = new Set(["/", "/api/health", "/openapi.json", "/docs", "/favicon.ico", "/metrics", "/client.js", "/client.d.ts"]);
const OPEN_PREFIXES = ["/docs/", "/console/"];

/** The role a request of `method` on `path` needs. */
export function roleFor(method: string, path: string): Role {
  if (method === "OPTIONS") return "open"; // CORS preflights carry no credentials by design
  if (method !== "GET" && method !== "HEAD") return "publisher";
  if (OPEN_PATHS.has(path) || OPEN_PREFIXES.some((p) => path.startsWith(p))) return "open";
  return "subscriber";
}
