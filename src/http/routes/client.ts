// Made when the server is bundled (see ../client-assets.ts), so the executable serves the client with no files at run time.
import { clientScript, clientTypes } from "../client-assets.ts" with { type: "macro" };
import type { App } from "../deps.ts";
import { serveAssets, type TextAsset } from "../static.ts";

const ASSETS: Record<string, TextAsset> = {
  "/client.js": { body: clientScript(), type: "text/javascript; charset=utf-8" },
  "/client.d.ts": { body: await clientTypes(), type: "application/typescript; charset=utf-8" },
};

/** GET /client.js (the TypeScript client as one ES module, for any page or runtime) and /client.d.ts, its declarations. */
export function registerClient(app: App) {
  // no-cache: revalidated by ETag, so a page picks up a new server's client at once.
  serveAssets(app, ASSETS, "no-cache");
}
