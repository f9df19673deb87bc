// Embedded at build time (`bun build --compile`), so the console needs no files or CDN at run time.
import css from "../../console/console.css" with { type: "text" };
import js from "../../console/console.js" with { type: "text" };
import page from "../../console/index.html" with { type: "text" };
import type { App } from "../deps.ts";
import { serveAssets, type TextAsset } from "../static.ts";

// bun-types types every .html import as an HTML bundle; with `type: "text"` it is the file's text.
const html = page as unknown as string;

const ASSETS: Record<string, TextAsset> = {
  "/": { body: html, type: "text/html; charset=utf-8" },
  "/console/console.css": { body: css, type: "text/css; charset=utf-8" },
  "/console/console.js": { body: js, type: "text/javascript; charset=utf-8" },
};

/** GET / (the web console) and its two assets. Not in the OpenAPI document: it is a page, not an API. */
export function registerConsole(app: App) {
  // no-cache: the browser revalidates (a 304 by ETag when unchanged), so a new version's console is picked up at once.
  serveAssets(app, ASSETS, "no-cache");
}
