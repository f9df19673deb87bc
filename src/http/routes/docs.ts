import { swaggerUI } from "@hono/swagger-ui";
// Embedded at build time so /docs works offline and behind firewalls (no CDN).
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "text" };
import swaggerJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
import { WS_ENDPOINTS } from "../../protocol/endpoints.ts";
import { VERSION } from "../../version.ts";
import type { App } from "../deps.ts";
import { registerSecuritySchemes } from "../security-docs.ts";
import { serveAssets, type TextAsset } from "../static.ts";
import { noTryOutForStreams } from "../swagger-plugin.ts";

const ASSET_BASE = "/docs/assets";
const ASSETS: Record<string, TextAsset> = {
  [`${ASSET_BASE}/swagger-ui-dist/swagger-ui.css`]: { body: swaggerCss, type: "text/css; charset=utf-8" },
  [`${ASSET_BASE}/swagger-ui-dist/swagger-ui-bundle.js`]: { body: swaggerJs, type: "text/javascript; charset=utf-8" },
};

const DESCRIPTION = [
  "Publish events and logs over HTTP; subscribe over WebSocket.",
  "",
  "WebSocket endpoints:",
  ...WS_ENDPOINTS.map((e) => `- \`${e.path}\` — ${e.description} (channel \`${e.channel}\`)`),
  "",
  "Every WebSocket frame is JSON with a `kind` (see the `websocket` operations and the *Frame schemas).",
  "The streaming operations (WebSocket, Server-Sent Events) have no \"Try it out\": their answer never ends. Use `wscat -c` or `curl -N` (see each one's description).",
  "On a server started with tokens, \"Authorize\" with one (see the `token` scheme) before trying an operation out.",
  "Errors are JSON: `{error, message, …details}`; each operation's error responses list the `error` codes it can answer, with an example of each.",
  "While the server shuts down, every request is answered `503` `shutting_down` with `Retry-After` and `Connection: close`.",
].join("\n");

/** GET /openapi.json (generated from the zod schemas) and GET /docs (Swagger UI, assets served locally). */
export function registerDocs(app: App) {
  registerSecuritySchemes(app);
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "stream-server", version: VERSION, description: DESCRIPTION },
    // Relative: the server that serves the document, whatever name or proxy it is reached through.
    servers: [{ url: "/", description: "this server" }],
    tags: [
      { name: "events", description: "Publish and read events" },
      { name: "logs", description: "Publish and read log lines" },
      { name: "websocket", description: "WebSocket endpoints (connect with a WebSocket client)" },
      { name: "health", description: "Liveness" },
    ],
  });
  const page = swaggerUI({ url: "/openapi.json", baseUrl: ASSET_BASE, title: "stream-server API", plugins: [String(noTryOutForStreams)] });
  // The same page at /docs/: its URLs are absolute, so it works from either.
  app.get("/docs", page);
  app.get("/docs/", page);
  // The URLs stay the same across versions: an hour fresh, then revalidated by ETag (a 304 when unchanged).
  serveAssets(app, ASSETS, "public, max-age=3600");
}
