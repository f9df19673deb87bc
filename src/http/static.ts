import type { App } from "./deps.ts";

/** A file embedded in the executable, served as text. */
export interface TextAsset {
  body: string;
  type: string;
}

/** Serves each embedded asset at its path with the given Cache-Control. */
export function serveAssets(app: App, assets: Record<string, TextAsset>, cacheControl: string) {
  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, (c) => c.body(asset.body, 200, { "content-type": asset.type, "cache-control": cacheControl }));
  }
}
