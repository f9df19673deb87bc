import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startBinary, type BinaryServer } from "../helpers/binary.ts";
import { describeBrowser, launchBrowser } from "../helpers/browser.ts";
import { postJson } from "../helpers/server.ts";

// The callbacks given to page.waitForFunction run in the browser; the test's tsconfig has no DOM lib.
declare const window: any;

/**
 * /client.js in headless Chromium, imported by a page that another server serves (another origin, as
 * a dashboard would be), while the compiled server is killed and restarted under it.
 */
const STEP_MS = 60_000;

/** Another site: serves `html` at every path, and `client` (when given) at /client.js. */
function servePage(html: string, client?: string) {
  return Bun.serve({
    port: 0, hostname: "127.0.0.1",
    fetch: (req) => client !== undefined && new URL(req.url).pathname === "/client.js"
      ? new Response(client, { headers: { "content-type": "text/javascript" } })
      : new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }),
  });
}
const dir = mkdtempSync(join(tmpdir(), "stream-client-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBrowser("the client in a browser page", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let srv: BinaryServer | undefined;
  let site: ReturnType<typeof Bun.serve> | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await page?.close();
    site?.stop(true);
    if (srv && srv.proc.exitCode === null) await srv.kill("SIGKILL");
    await browser?.dispose();
  }, STEP_MS);

  test("reads every seq once across a SIGKILL and restart (--data), and publishes with an ack", async () => {
    const data = join(dir, "data");
    srv = await startBinary(["--data", data]);
    const { port } = srv;
    const streamUrl = srv.url;
    const html = `<!doctype html><meta charset="utf-8"><title>dashboard</title><script type="module">
      import { subscribe } from "${streamUrl}/client.js";
      window.seen = []; window.states = [];
      window.sub = subscribe("${streamUrl}", { since: 0, backoff: { initialMs: 100, maxMs: 1000 },
        onItem: (item) => window.seen.push(item.kind === "reset" ? "reset" : item.seq),
        onState: (s) => window.states.push(s.text) });
    </script>`;
    site = servePage(html);
    page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${site.port}/`);
    await page.waitForFunction(() => window.states?.includes("live"));

    const publish = (n: number) => postJson(`${srv!.url}/api/events`, Array.from({ length: n }, (_, i) => ({ type: "browser.test", data: { i } })));
    await publish(50);
    await page.waitForFunction(() => window.seen.length >= 50);
    await srv.kill("SIGKILL");
    await page.waitForFunction(() => window.states.some((s: string) => s.startsWith("reconnecting in")));
    srv = await startBinary(["--data", data, "--port", String(port)]);
    await publish(50);
    await page.waitForFunction(() => window.seen.length >= 100);

    const fromPage = await page.evaluate(() => window.sub.publish({ type: "from.browser", data: { ok: true } }));
    expect(fromPage.seq).toBe(101);
    expect(fromPage.id).toMatch(/^[0-9a-f-]{36}$/);
    await page.waitForFunction(() => window.seen.length >= 101);
    expect(await page.evaluate(() => window.seen)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(errors).toEqual([]);
  }, 120_000);

  test("from another origin: a bad token stops the client with the server's words; an origin the server does not allow is named as a likely cause", async () => {
    const open = await startBinary(["--subscribe-token", "browser-sub-secret-1"]);
    const strict = await startBinary(["--cors-origin", "https://app.example.com"]);
    try {
      // The page serves the client itself: a server that does not allow its origin does not let it load /client.js either (CORS).
      const client = await (await fetch(`${open.url}/client.js`)).text();
      const html = `<!doctype html><meta charset="utf-8"><script type="module">
        import { subscribe } from "/client.js";
        window.token_states = []; window.origin_states = [];
        subscribe("${open.url}", { token: "wrong-token-1", onState: (s) => window.token_states.push(s.text) });
        subscribe("${strict.url}", { onState: (s) => window.origin_states.push(s.text) });
      </script>`;
      const site = servePage(html, client);
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${site.port}/`);
        await page.waitForFunction(() => window.token_states?.some((s: string) => s.startsWith("refused: 403 forbidden: ")));
        await page.waitForFunction(() => window.origin_states?.some((s: string) => s.includes("or it does not allow this page's origin (--cors-origin)")));
      } finally {
        await page.close();
        site.stop(true);
      }
    } finally {
      await Promise.all([open.kill(), strict.kill()]);
    }
  }, 120_000);
});
