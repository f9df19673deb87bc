import { afterAll, describe, expect, test } from "bun:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { startTestServer } from "../helpers/server.ts";

/**
 * The Swagger UI bundle (1.7 MB) and the console are sent compressed when the client accepts it, with
 * a strong ETag per encoding, 304 on revalidation, and caching headers that fit assets changed only by
 * a new version.
 */
describe("static assets", () => {
  const srv = startTestServer();
  afterAll(() => srv.stop());

  const BUNDLE = "/docs/assets/swagger-ui-dist/swagger-ui-bundle.js";
  /** GET with exactly these headers: `decompress: false` keeps Bun from adding its own Accept-Encoding and decoding. */
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${srv.url}${path}`, { headers, decompress: false });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  test("the Swagger UI bundle: plain without Accept-Encoding, gzip and br when accepted, each decoding to the same bytes and far smaller", async () => {
    const plain = await get(BUNDLE);
    expect(plain.res.status).toBe(200);
    expect(plain.res.headers.get("content-encoding")).toBeNull();
    expect(plain.bytes.length).toBeGreaterThan(1_500_000);

    const gz = await get(BUNDLE, { "accept-encoding": "gzip" });
    expect(gz.res.headers.get("content-encoding")).toBe("gzip");
    expect(gz.res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(gunzipSync(gz.bytes).equals(plain.bytes)).toBe(true);
    expect(gz.bytes.length).toBeLessThan(plain.bytes.length / 3);

    const br = await get(BUNDLE, { "accept-encoding": "gzip, deflate, br, zstd" });
    expect(br.res.headers.get("content-encoding")).toBe("br");
    expect(brotliDecompressSync(br.bytes).equals(plain.bytes)).toBe(true);
    expect(br.bytes.length).toBeLessThan(gz.bytes.length);

    for (const { res } of [plain, gz, br]) {
      expect(res.headers.get("vary")).toBe("Accept-Encoding");
      expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
      expect(res.headers.get("etag")).toMatch(/^"[\w-]+"$/); // strong: no W/
    }
    // Each encoding is another representation, so another validator; the same one on every request.
    expect(new Set([plain, gz, br].map(({ res }) => res.headers.get("etag"))).size).toBe(3);
    expect((await get(BUNDLE, { "accept-encoding": "gzip" })).res.headers.get("etag")).toBe(gz.res.headers.get("etag"));
  });

  test("a matching If-None-Match gets 304 with no body; another ETag, or another encoding's, gets the asset", async () => {
    const first = await get(BUNDLE, { "accept-encoding": "br" });
    const etag = first.res.headers.get("etag")!;
    const again = await get(BUNDLE, { "accept-encoding": "br", "if-none-match": `"other", ${etag}` });
    expect(again.res.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.res.headers.get("etag")).toBe(etag);
    expect(again.res.headers.get("vary")).toBe("Accept-Encoding");
    expect(again.res.headers.get("cache-control")).toBe("public, max-age=3600");
    expect((await get(BUNDLE, { "accept-encoding": "br", "if-none-match": `W/${etag}` })).res.status).toBe(304); // weak comparison
    expect((await get(BUNDLE, { "accept-encoding": "br", "if-none-match": '"stale"' })).res.status).toBe(200);
    expect((await get(BUNDLE, { "accept-encoding": "gzip", "if-none-match": etag })).res.status).toBe(200);
  });

  test.each([
    ["/", "text/html; charset=utf-8"],
    ["/console/console.js", "text/javascript; charset=utf-8"],
    ["/console/console.css", "text/css; charset=utf-8"],
    ["/docs/assets/swagger-ui-dist/swagger-ui.css", "text/css; charset=utf-8"],
    ["/client.js", "text/javascript; charset=utf-8"],
    ["/client.d.ts", "application/typescript; charset=utf-8"],
  ])("%s is compressed too, and revalidates by ETag", async (path, type) => {
    const plain = await get(path);
    const gz = await get(path, { "accept-encoding": "gzip" });
    expect(gz.res.headers.get("content-encoding")).toBe("gzip");
    expect(gz.res.headers.get("content-type")).toBe(type);
    expect(gunzipSync(gz.bytes).equals(plain.bytes)).toBe(true);
    expect(gz.bytes.length).toBeLessThan(plain.bytes.length);
    const revalidated = await get(path, { "accept-encoding": "gzip", "if-none-match": gz.res.headers.get("etag")! });
    expect(revalidated.res.status).toBe(304);
    // The console revalidates on every load, so a new version's page is picked up at once (a 304 costs little).
    if (!path.startsWith("/docs")) expect(gz.res.headers.get("cache-control")).toBe("no-cache");
  });
});
