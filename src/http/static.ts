import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { chooseCoding, type Coding } from "./accept-encoding.ts";
import type { App } from "./deps.ts";

/** A file embedded in the executable, served as text. */
export interface TextAsset {
  body: string;
  type: string;
}

/**
 * Brotli quality 9, not the maximum 11: measured on the 1.7 MB Swagger UI bundle (2 cores), 9 takes
 * ~0.1 s for 392 kB and 11 takes ~3.5 s for 359 kB, a wait the first /docs visitor would sit through.
 * Both run on zlib's thread pool (the event loop stalled < 5 ms meanwhile), not on the event loop.
 */
const COMPRESS: Record<Coding, (bytes: Buffer) => Promise<Buffer>> = {
  br: (bytes) => promisify(brotliCompress)(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }),
  gzip: (bytes) => promisify(gzip)(bytes, { level: 9 }),
};

/** An asset's bytes, content hash and compressed forms, each made at first use and kept for the process's life. */
interface Encoded {
  bytes: Buffer;
  hash: string;
  compressed: Map<Coding, Promise<Buffer>>;
}

// Per asset, not per server: tests start many servers in one process, and each would compress again.
const cache = new WeakMap<TextAsset, Encoded>();

function encoded(asset: TextAsset): Encoded {
  let entry = cache.get(asset);
  if (!entry) {
    const bytes = Buffer.from(asset.body);
    entry = { bytes, hash: new Bun.CryptoHasher("sha256").update(bytes).digest("base64url").slice(0, 22), compressed: new Map() };
    cache.set(asset, entry);
  }
  return entry;
}

/** The asset's bytes in `coding`, compressed once; a failed compression is tried again next time. */
function bytesIn(entry: Encoded, coding: Coding | "identity"): Promise<Buffer> {
  if (coding === "identity") return Promise.resolve(entry.bytes);
  let made = entry.compressed.get(coding);
  if (!made) {
    made = COMPRESS[coding](entry.bytes);
    made.catch(() => entry.compressed.delete(coding));
    entry.compressed.set(coding, made);
  }
  return made;
}

/** Whether If-None-Match names `etag` (weak comparison, as RFC 9110 §13.1.2 asks) or is `*`. */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

/**
 * Serves each embedded asset at its path with the given Cache-Control: br or gzip when the request's
 * Accept-Encoding allows, with a strong ETag per encoding (a content hash) and 304 to a matching
 * If-None-Match, so a browser revalidates for a few hundred bytes instead of fetching 1.7 MB again.
 */
export function serveAssets(app: App, assets: Record<string, TextAsset>, cacheControl: string) {
  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, async function serveAsset(c) {
      const entry = encoded(asset);
      const coding = chooseCoding(c.req.header("accept-encoding"));
      // Each encoding is its own representation (other bytes), so it gets its own strong validator.
      const etag = coding === "identity" ? `"${entry.hash}"` : `"${entry.hash}-${coding}"`;
      const headers: Record<string, string> = { "cache-control": cacheControl, etag, vary: "Accept-Encoding" };
      if (notModified(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
      if (coding !== "identity") headers["content-encoding"] = coding;
      const bytes = await bytesIn(entry, coding);
      const view = new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength); // the same memory, typed as Hono wants it
      return c.body(view, 200, { ...headers, "content-type": asset.type });
    });
  }
}
