import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { runBinary, startBinary, type BinaryServer } from "../helpers/binary.ts";
import { connectPastHello } from "../helpers/client.ts";
import { describeBrowser, launchBrowser } from "../helpers/browser.ts";
import { mint, SECRET } from "../helpers/jwt.ts";
import { watchMinted } from "../helpers/token-leaks.ts";
import { postJson } from "../helpers/server.ts";

// The callbacks given to page.evaluate / waitForFunction run in the browser; the test's tsconfig has no DOM lib.
declare const window: any;

/**
 * JSON Web Tokens in the compiled executable (jose's crypto must work inside it), minted by its own
 * `token` subcommand, and held by a browser page: it sees only what its token allows, cannot publish,
 * and is closed at the token's expiry unless it refreshes.
 */
const PUB = "e2e-static-publish-token";
const ENV = { STREAM_JWT_SECRET: SECRET };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const STEP_MS = 60_000;

describe("the executable with --jwt-secret", () => {
  let srv: BinaryServer | undefined;
  afterEach(async () => void (await srv?.kill()));

  test("`stream-server token` mints a token the server accepts: order events only, 403 for another type", async () => {
    srv = await startBinary(["--publish-token", PUB], ENV);
    const minted = await runBinary(["token", "--sub", "alice", "--subscribe", "order.*", "--publish", "order.*", "--ttl", "1h"], ENV);
    expect(minted.code).toBe(0);
    const token = watchMinted(minted.stdout.trim());
    const ws = await connectPastHello(`ws://127.0.0.1:${srv.port}/ws?token=${token}`);
    await postJson(`${srv.url}/api/events`, [{ type: "risk.alert" }, { type: "order.filled" }], bearer(PUB));
    expect((await ws.next()).type).toBe("order.filled");
    const refused = await postJson(`${srv.url}/api/events`, { type: "risk.alert" }, bearer(token));
    expect(refused.status).toBe(403);
    expect(refused.body.issues).toEqual([{ path: "type", message: expect.stringContaining('the token of "alice" may not publish type "risk.alert"') }]);
    expect((await postJson(`${srv.url}/api/events`, { type: "order.placed" }, bearer(token))).status).toBe(200);
    expect((await ws.next()).type).toBe("order.placed");
    ws.close();
    await srv.waitForOutput(/client connected.*alice|alice.*client connected/);
  });

  test("a bad token is 401 with its reason; `token` refuses a short secret and a bad ttl", async () => {
    srv = await startBinary([], ENV);
    const expired = await mint({ expiresIn: -10 });
    const res = await fetch(`${srv.url}/api/events`, { headers: bearer(expired) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).reason).toBe("expired");
    expect((await runBinary(["token", "--sub", "x", "--secret", "short"])).code).toBe(2);
    const badTtl = await runBinary(["token", "--sub", "x", "--ttl", "soon"], ENV);
    expect(badTtl.code).toBe(2);
    expect(badTtl.stderr).toContain("--ttl expects a duration");
  });
});

describeBrowser("a browser page holding a token", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let srv: BinaryServer;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterAll(() => browser?.dispose(), STEP_MS);
  afterEach(async () => {
    await page?.close();
    await srv?.kill();
  }, STEP_MS);

  test("sees only order events, cannot publish, is closed at expiry unless it refreshes; another token gets another stream", async () => {
    srv = await startBinary(["--publish-token", PUB], ENV);
    page = await browser.newPage();
    await page.goto(`${srv.url}/api/health`);
    // Three sockets in the page: two dashboards with the same short-lived order.* token (one will
    // refresh), and one with a risk.* token.
    const dashboard = await mint({ sub: "dashboard", stream: { subscribe: { events: ["order.*"] } }, expiresIn: 6 });
    const risk = await mint({ sub: "risk-desk", stream: { subscribe: { events: ["risk.*"] } }, expiresIn: 600 });
    await page.evaluate(({ base, dashboard, risk }) => {
      window.seen = {};
      window.ended = {};
      window.open_ = (name: string, token: string) =>
        new Promise((resolve) => {
          const ws = new window.WebSocket(`${base}/ws?token=${token}`);
          window.seen[name] = [];
          ws.onmessage = (e: any) => window.seen[name].push(JSON.parse(e.data));
          ws.onclose = (e: any) => (window.ended[name] = { code: e.code, reason: e.reason });
          ws.onopen = () => resolve(undefined);
          window[name] = ws;
        });
      return Promise.all([window.open_("plain", dashboard), window.open_("refreshing", dashboard), window.open_("risk", risk)]);
    }, { base: srv.url.replace("http", "ws"), dashboard, risk });

    await postJson(`${srv.url}/api/events`, ["order.placed", "risk.alert", "order.filled", "strategy.started"].map((type) => ({ type })), bearer(PUB));
    const typesOf = (name: string) => page.evaluate((n) => window.seen[n].filter((f: any) => f.kind === "event").map((f: any) => f.type), name);
    await page.waitForFunction(() => ["plain", "refreshing", "risk"].every((n) => window.seen[n].some((f: any) => f.kind === "event")));
    await page.waitForFunction(() => window.seen.plain.filter((f: any) => f.kind === "event").length === 2);
    expect(await typesOf("plain")).toEqual(["order.placed", "order.filled"]);
    expect(await typesOf("risk")).toEqual(["risk.alert"]);

    // The page cannot publish: not over HTTP with its token, not with a publish frame.
    const status = await page.evaluate(async (token) => {
      const res = await window.fetch("/api/events", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: '{"type":"order.fake"}' });
      return res.status;
    }, dashboard);
    expect(status).toBe(403);
    await page.evaluate(() => window.plain.send(JSON.stringify({ kind: "publish", ack: 1, event: { type: "order.fake" } })));
    await page.waitForFunction(() => window.seen.plain.some((f: any) => f.kind === "error"));
    expect(await page.evaluate(() => window.seen.plain.find((f: any) => f.kind === "error").code)).toBe("forbidden");

    // One socket refreshes before expiry; the other does not and is closed with 4001.
    const fresh = await mint({ sub: "dashboard", stream: { subscribe: { events: ["order.*"] } }, expiresIn: 600 });
    await page.evaluate((token) => window.refreshing.send(JSON.stringify({ kind: "refresh", token })), fresh);
    await page.waitForFunction(() => window.seen.refreshing.some((f: any) => f.kind === "refreshed"));
    await page.waitForFunction(() => window.ended.plain !== undefined, undefined, { timeout: STEP_MS });
    expect(await page.evaluate(() => window.ended.plain)).toEqual({ code: 4001, reason: expect.stringContaining("token expired") });
    expect(await page.evaluate(() => window.ended.refreshing)).toBeUndefined();
    await postJson(`${srv.url}/api/events`, { type: "order.late" }, bearer(PUB));
    await page.waitForFunction(() => window.seen.refreshing.some((f: any) => f.type === "order.late"));
    expect(await page.evaluate(() => window.ended.refreshing)).toBeUndefined();
  }, STEP_MS * 2);
});
