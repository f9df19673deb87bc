import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { startBinary, type BinaryServer } from "../helpers/binary.ts";
import { describeBrowser, launchBrowser } from "../helpers/browser.ts";
import { postJson } from "../helpers/server.ts";

/**
 * /docs in a real Chromium, on a server with tokens, as a person uses it: open the page, authorize,
 * try an operation out. Swagger UI decides what a try-out sends, so only a browser shows it. Against the
 * compiled executable: the page's plugin is sent as source, and this checks it survives minifying.
 */
const STEP_MS = 60_000;
const PUB = "docs-publish-token";
const SUB = "docs-subscribe-token";

describeBrowser("Swagger UI at /docs", () => {
  let srv: BinaryServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const pageErrors: string[] = [];

  /** Opens an operation's panel (ids are `operations-<tag>-<operationId>`). */
  const expand = async (id: string) => {
    await page.click(`#${id} .opblock-summary`);
    await page.waitForSelector(`#${id} .opblock-body`);
  };
  const tryOutButtons = (id: string) => page.locator(`#${id} .try-out__btn`).count();

  beforeAll(async () => {
    [srv, browser] = await Promise.all([startBinary(["--publish-token", PUB, "--subscribe-token", SUB]), launchBrowser()]);
    for (const type of ["order.filled", "risk.alert"]) {
      expect((await postJson(`${srv.url}/api/events`, { type }, { authorization: `Bearer ${PUB}` })).status).toBe(200);
    }
    page = await browser.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${srv.url}/docs/`); // the trailing slash a person often types
    await page.waitForSelector(".opblock");
  }, 120_000);

  afterAll(async () => {
    await browser?.dispose();
    await srv?.kill();
  }, STEP_MS);

  test("streaming operations (WebSocket, SSE) offer no try-out, whose answer would never end", async () => {
    for (const id of ["operations-websocket-connectWs", "operations-websocket-connectWsLogs", "operations-events-streamEvents", "operations-logs-streamLogs"]) {
      await expand(id);
      expect({ id, buttons: await tryOutButtons(id) }).toEqual({ id, buttons: 0 });
    }
  }, STEP_MS);

  test("after Authorize, a try-out of GET /api/events sends the token and no filter, and shows the whole history", async () => {
    await page.click(".auth-wrapper .authorize");
    const scheme = page.locator(".auth-container", { has: page.locator("h4 code", { hasText: /^token$/ }) });
    await scheme.locator("input").fill(SUB);
    await scheme.locator("button.authorize").click();
    await page.click(".dialog-ux .close-modal");

    const id = "operations-events-readEventHistory";
    await expand(id);
    expect(await tryOutButtons(id)).toBe(1);
    await page.click(`#${id} .try-out__btn`);
    await page.click(`#${id} .execute`);
    const status = page.locator(`#${id} .live-responses-table tbody .response-col_status`).first();
    await status.waitFor();
    const url = (await page.locator(`#${id} .request-url pre`).textContent()) ?? "";
    expect(url).not.toContain("types=");
    expect((await status.textContent())?.trim()).toBe("200");
    const body = JSON.parse((await page.locator(`#${id} .live-responses-table tbody .microlight`).first().textContent()) ?? "{}");
    expect(body.items.map((i: { type: string }) => i.type)).toEqual(["order.filled", "risk.alert"]);
    expect(pageErrors).toEqual([]);
  }, STEP_MS);
});
