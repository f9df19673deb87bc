import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startBinary, type BinaryServer } from "../helpers/binary.ts";
import { connect } from "../helpers/client.ts";
import { describeBrowser, launchBrowser, OUTPUT_DIR } from "../helpers/browser.ts";
import { sampleValue, scrape } from "../helpers/prometheus.ts";
import { health, postJson, startTestServer, useServer, type TestServer } from "../helpers/server.ts";

// The callbacks given to page.waitForFunction / $$eval run in the browser; the test's tsconfig has no DOM lib.
declare const document: any;

/**
 * The web console in a real Chromium, against the compiled executable (so the page, its script and
 * stylesheet are the ones embedded in the binary). Each step waits for what a user would see.
 * Every test has its own server and its own page (one Chromium is shared, as launching it takes seconds):
 * they pass in any order (`bun test --randomize`) and each can run alone with -t.
 */
/** Per step: the machine may be busy (2 cores shared with builds and other suites); a browser step waits. */
const STEP_MS = 60_000;

describeBrowser("web console at /", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  // This test's server and page, fresh for each test.
  let srv: BinaryServer;
  let page: Page;
  let pageErrors: string[];

  const eventRows = () => page.locator("#events-rows .row.ev");
  const seqsShown = () => page.$$eval("#events-rows .row.ev", (rows) => rows.map((r) => Number((r as any).dataset.seq)));
  const typesShown = () => page.$$eval("#events-rows .row.ev", (rows) => rows.map((r) => (r as any).dataset.type));
  const publish = (body: unknown) => postJson(`${srv.url}/api/events`, body);
  const waitLive = () => page.waitForSelector("#events-state[data-state=live]");
  /** Publishes order.placed, order.filled and risk.alert (seq 1–3) and waits until the page shows all three. */
  const showThree = async () => {
    for (const type of ["order.placed", "order.filled", "risk.alert"]) {
      expect((await publish({ type, source: "strategy/alpha", data: { qty: 5, note: type } })).status).toBe(200);
    }
    await page.waitForFunction(() => document.querySelectorAll("#events-rows .row.ev").length === 3);
  };

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterAll(() => browser?.dispose(), STEP_MS);

  beforeEach(async () => {
    [srv, page] = await Promise.all([startBinary(), browser.newPage()]);
    pageErrors = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${srv.url}/`);
    await waitLive();
    await page.waitForSelector("#logs-state[data-state=live]");
  }, STEP_MS);

  afterEach(async () => {
    await page?.close();
    await srv?.kill();
    expect(pageErrors).toEqual([]); // no script error during any test
  }, STEP_MS);

  test("a fresh server's empty pane says so, with this page's own address and the form above", async () => {
    const hint = await page.textContent("#events-rows .empty");
    expect(hint).toStartWith("No events yet. Publish one with “Publish an event” above");
    expect(hint).toContain(`curl -X POST ${srv.url}/api/events`);
    expect(hint).not.toContain("localhost:8000");
  }, STEP_MS);

  test("shows three events published over HTTP, in order, newest on top", async () => {
    await showThree();
    expect(await seqsShown()).toEqual([3, 2, 1]);
    expect(await typesShown()).toEqual(["risk.alert", "order.filled", "order.placed"]);
    const first = eventRows().last();
    expect(await first.locator(".src").textContent()).toBe("strategy/alpha");
    expect(await first.locator(".data").textContent()).toBe('{"qty":5,"note":"order.placed"}');
    // A click expands the data.
    await first.click();
    expect(await first.locator("pre").textContent()).toContain('"qty": 5');
  }, STEP_MS);

  test("the health panel shows the version, uptime and connections per path", async () => {
    const { version } = await health(srv);
    await page.waitForFunction((v) => document.getElementById("h-version")?.textContent === v, version);
    expect(await page.textContent("#h-status")).toBe("ok");
    // Polled every 2 s: wait for a poll made after both of the page's sockets were open.
    await page.waitForFunction(() => /\/ws 1 .*\/ws\/logs 1/.test(document.getElementById("h-conns")?.textContent ?? ""));
    expect(await page.textContent("#h-uptime")).toMatch(/^\d+(s|m \d\ds)$/);
    await page.waitForFunction(() => /^\d/.test(document.getElementById("h-eps")?.textContent ?? ""));
  }, STEP_MS);

  test("filters by event type with the WebSocket filter's wildcards, and by text", async () => {
    await showThree();
    await page.fill("#f-types", "order.*");
    expect(await typesShown()).toEqual(["order.filled", "order.placed"]);
    await page.fill("#f-types", "risk.alert, order.placed");
    expect(await typesShown()).toEqual(["risk.alert", "order.placed"]);
    // A filter also applies to what arrives afterwards.
    await publish({ type: "order.cancelled" });
    await publish({ type: "risk.alert", data: { level: "high" } });
    await page.waitForFunction(() => document.querySelector("#events-rows .row.ev")?.getAttribute("data-seq") === "5");
    expect(await typesShown()).toEqual(["risk.alert", "risk.alert", "order.placed"]);
    // A filter that hides everything says so, rather than that there is nothing.
    await page.fill("#f-types", "nothing.*");
    expect(await page.textContent("#events-rows .empty")).toBe("No events match the filters.");
    await page.fill("#f-types", "");
    await page.fill("#f-text", "HIGH");
    expect(await seqsShown()).toEqual([5]);
    await page.fill("#f-text", "");
    expect(await seqsShown()).toEqual([5, 4, 3, 2, 1]);
  }, STEP_MS);

  test("filters logs by level and colours them", async () => {
    await postJson(`${srv.url}/api/logs`, [
      { level: "info", message: "console test info line", source: "console-test" },
      { level: "error", message: "console test error line", source: "console-test" },
    ]);
    const line = (text: string) => page.locator("#logs-rows .row.log", { hasText: text });
    await line("console test error line").waitFor();
    expect(await line("console test info line").count()).toBe(1);
    await page.selectOption("#f-level", "warn");
    expect(await line("console test info line").count()).toBe(0);
    expect(await line("console test error line").getAttribute("class")).toContain("lvl-error");
    const levels = await page.$$eval("#logs-rows .row.log", (rows) => rows.map((r) => (r as any).dataset.level));
    expect(levels.every((l) => l === "warn" || l === "error")).toBe(true);
  }, STEP_MS);

  test("pause keeps events arriving, shows how many wait, and resume shows them", async () => {
    await showThree();
    await page.click("#pause");
    await publish([{ type: "paused.one" }, { type: "paused.two" }]);
    // Both arrive (one frame each); no log line does: the server logs publishes at debug only.
    await page.waitForFunction(() => document.getElementById("waiting")?.textContent === "paused · 2 new waiting");
    expect((await seqsShown())[0]).toBe(3);
    await page.click("#pause");
    await page.waitForFunction(() => document.querySelector("#events-rows .row.ev")?.getAttribute("data-seq") === "5");
    expect((await seqsShown()).slice(0, 3)).toEqual([5, 4, 3]);
    expect(await page.isHidden("#waiting")).toBe(true);
  }, STEP_MS);

  test("the publish form shows the server's validation errors word for word, and publishes", async () => {
    await page.click("#publish-box summary");
    await page.fill("#p-type", "not a type");
    await page.fill("#p-data", '{"qty": 1}');
    await page.click("#p-send");
    await page.waitForFunction(() => document.getElementById("publish-result")?.classList.contains("error"));
    const server = await publish({ type: "not a type", data: { qty: 1 } });
    expect(server.status).toBe(400);
    const shown = await page.textContent("#publish-result");
    expect(shown).toContain(`400 ${server.body.error}: ${server.body.message}`);
    expect(shown).toContain(`${server.body.issues[0].path}: ${server.body.issues[0].message}`);

    // Data that is not JSON is the server's to judge too.
    await page.fill("#p-type", "console.sent");
    await page.fill("#p-data", "{qty: 1");
    await page.click("#p-send");
    await page.waitForFunction(() => /^400 bad_json/.test(document.getElementById("publish-result")?.textContent ?? ""));

    await page.fill("#p-source", "console-test");
    await page.fill("#p-data", '{"qty": 2}');
    await page.click("#p-send");
    await page.waitForFunction(() => document.getElementById("publish-result")?.classList.contains("ok"));
    // The refused attempts stored nothing: the first event on this server.
    expect(await page.textContent("#publish-result")).toBe("200: accepted, seq 1");
    await page.waitForSelector('#events-rows .row.ev[data-type="console.sent"]');
    expect(await page.textContent('#events-rows .row.ev[data-type="console.sent"] .src')).toBe("console-test");
  }, STEP_MS);

  test("a dropped connection resumes from the last seq: what was published meanwhile arrives, no gap mark", async () => {
    await showThree();
    const marks = await page.locator("#events-rows .row.marker").count();
    // Drop the page's events socket (as a network blip would) and publish while it is away.
    await page.evaluate("streams.events.sub.reconnect()");
    await publish([{ type: "while.away", data: { n: 1 } }, { type: "while.away", data: { n: 2 } }]);
    await page.waitForFunction(() => document.querySelector("#events-rows .row.ev")?.getAttribute("data-seq") === "5");
    expect((await seqsShown()).slice(0, 4)).toEqual([5, 4, 3, 2]);
    expect(await page.locator("#events-rows .row.marker").count()).toBe(marks);
    expect(await page.getAttribute("#events-state", "data-state")).toBe("live");
  }, STEP_MS);

  test("reconnects by itself when the server is killed and restarted, and marks the gap", async () => {
    await showThree();
    await page.screenshot({ path: join(OUTPUT_DIR, "console-desktop.png") });
    const port = srv.port;
    const before = (await health(srv)).channels.events;
    await srv.kill("SIGKILL");
    await page.waitForSelector("#events-state[data-state=reconnecting]");
    expect(await page.textContent("#events-state")).toContain("retrying");

    srv = await startBinary(["--port", String(port)]);
    await waitLive();
    await page.waitForSelector("#logs-state[data-state=live]");
    // The new process has a new history (no --data): the console says so before the next event.
    await publish({ type: "after.restart", source: "strategy/alpha" });
    await page.waitForSelector('#events-rows .row.ev[data-type="after.restart"]');
    // The mark carries the server's own reset message: what a client resuming from the page's position hears.
    const probe = await connect(`ws://127.0.0.1:${port}/ws?since=${before.seq}&epoch=${before.epoch}`);
    const reset = await probe.nextMatching((f) => f.kind === "reset");
    probe.close();
    const marker = page.locator("#events-rows .row.marker").first();
    expect(await marker.textContent()).toContain(`Gap: ${reset.message}`);
    // The marker sits right below the first event from the new server.
    expect(await page.$eval("#events-rows .row.ev", (r) => r.nextElementSibling?.classList.contains("marker"))).toBe(true);
    expect(await page.$eval("#events-rows .row.ev", (r) => (r as any).dataset.seq)).toBe("1");
    await page.screenshot({ path: join(OUTPUT_DIR, "console-after-restart.png") });
  }, STEP_MS);

  test("keeps at most 400 rows in the DOM while a burst of 2,000 events arrives", async () => {
    for (let i = 0; i < 2; i++) {
      const batch = Array.from({ length: 1000 }, (_, j) => ({ type: "burst.tick", data: { i: i * 1000 + j } }));
      expect((await publish(batch)).status).toBe(200);
    }
    await page.waitForFunction(() => document.querySelector("#events-rows .row.ev")?.getAttribute("data-seq") === "2000");
    expect(await eventRows().count()).toBeLessThanOrEqual(400);
    expect(await page.textContent("#events-count")).toContain("seq 2000");
    // Paused, the view holds the newest 400 in full: nothing skipped, in order.
    await page.click("#pause");
    const seqs = await seqsShown();
    expect(seqs).toEqual(Array.from({ length: 400 }, (_, i) => 2000 - i));
    expect(await page.locator("#events-rows .row.skipped").count()).toBe(0);
  }, STEP_MS);

  test("is readable on a phone: one pane at a time, switched by tabs", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.isVisible("#events-pane")).toBe(true);
    expect(await page.isVisible("#logs-pane")).toBe(false);
    await page.click('.tabs button[data-tab="logs"]');
    expect(await page.isVisible("#logs-pane")).toBe(true);
    expect(await page.isVisible("#events-pane")).toBe(false);
    await page.screenshot({ path: join(OUTPUT_DIR, "console-phone-logs.png") });
    await page.click('.tabs button[data-tab="events"]');
    await page.screenshot({ path: join(OUTPUT_DIR, "console-phone-events.png") });
  }, STEP_MS);

  test("clear empties both panes; the page links to /docs; no script errors", async () => {
    await showThree();
    await page.click("#clear");
    expect(await eventRows().count()).toBe(0);
    // The server's history still holds them: the pane says where they are, not that there are none.
    expect(await page.textContent("#events-rows")).toStartWith("No new events: this page shows events as they arrive. Earlier ones (up to seq 3)");
    expect(await page.getAttribute('a[href="/docs"]', "href")).toBe("/docs");
    expect(pageErrors).toEqual([]);
  }, STEP_MS);
});

describeBrowser("web console on a server that requires tokens", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterAll(() => browser?.dispose());

  // This test's server and page.
  const start = useServer();
  let srv: TestServer;
  let page: Page;
  beforeEach(async () => {
    srv = start(["--publish-token", "publish-secret-1", "--subscribe-token", "subscribe-secret-1"]);
    page = await browser.newPage();
  });
  afterEach(() => page?.close());

  test("without ?token= the page says the server refused the stream and how to pass the token", async () => {
    await page.goto(`${srv.url}/`);
    await page.waitForSelector("#events-state[data-state=refused]");
    const note = await page.textContent("#events-rows .row.marker");
    expect(note).toContain("open this page as /?token=<token>");
    // Health stays open, so the panel still works.
    await page.waitForFunction(() => document.getElementById("h-status")?.textContent === "ok");
  }, STEP_MS);

  test("with ?token= it streams; the form's token field is sent as a bearer token and refusals are the server's words", async () => {
    await page.goto(`${srv.url}/?token=subscribe-secret-1`);
    await page.waitForSelector("#events-state[data-state=live]");
    await page.waitForSelector("#logs-state[data-state=live]");
    await page.click("#publish-box summary");
    await page.fill("#p-type", "token.test");

    const expectRefusal = async (status: number, headers: Record<string, string>) => {
      await page.click("#p-send");
      await page.waitForFunction((s) => document.getElementById("publish-result")?.textContent?.startsWith(`${s} `), status);
      const server = await postJson(`${srv.url}/api/events`, { type: "token.test" }, headers);
      expect(server.status).toBe(status);
      expect(await page.textContent("#publish-result")).toBe(`${status} ${server.body.error}: ${server.body.message}`);
    };
    await expectRefusal(401, {});
    await page.fill("#p-token", "wrong-token-1");
    await expectRefusal(403, { authorization: "Bearer wrong-token-1" });

    await page.fill("#p-token", "publish-secret-1");
    await page.click("#p-send");
    await page.waitForFunction(() => document.getElementById("publish-result")?.classList.contains("ok"));
    await page.waitForSelector('#events-rows .row.ev[data-type="token.test"]');
  }, STEP_MS);
});

describeBrowser("web console under --cors-origin, opened when the history already holds events", () => {
  let srv: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterAll(() => browser?.dispose(), STEP_MS);
  // Each test its own server and page, as above: they pass in any order.
  beforeEach(async () => {
    srv = startTestServer(["--cors-origin", "https://app.example.com"]);
    for (const type of ["before.one", "before.two"]) expect((await postJson(`${srv.url}/api/events`, { type })).status).toBe(200);
    page = await browser.newPage();
    await page.goto(`${srv.url}/`);
    await page.waitForSelector("#events-state[data-state=live]");
    await page.waitForSelector("#logs-state[data-state=live]");
  }, STEP_MS);
  afterEach(async () => {
    await page?.close();
    await srv?.stop();
  }, STEP_MS);

  test("its own WebSockets are allowed (same origin as the server), so both streams go live", async () => {
    expect(await page.getAttribute("#events-state", "data-state")).toBe("live");
    expect(await page.getAttribute("#logs-state", "data-state")).toBe("live");
    expect(srv.server.refusals.forbiddenOrigin).toBe(0);
  }, STEP_MS);

  test("the empty events pane says the history holds earlier events and where, not that there are none", async () => {
    const hint = await page.textContent("#events-rows .empty");
    expect(hint).toStartWith("No new events: this page shows events as they arrive.");
    expect(hint).toContain(`Earlier ones (up to seq 2) are in the server's history: ${srv.url}/api/events`);
    expect(hint).not.toContain("No events yet");
  }, STEP_MS);

  test("an empty source field publishes the source its placeholder names", async () => {
    await page.click("#publish-box summary");
    await page.fill("#p-type", "console.default.source");
    await page.click("#p-send");
    await page.waitForSelector('#events-rows .row.ev[data-type="console.default.source"]');
    const source = await page.textContent('#events-rows .row.ev[data-type="console.default.source"] .src');
    expect(source).toBe("api");
    expect(await page.getAttribute("#p-source", "placeholder")).toStartWith(`${source} `);
  }, STEP_MS);
});

test("the compiled executable serves the console page and its assets", async () => {
  const srv = await startBinary();
  try {
    const page = await fetch(`${srv.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console/console.js"');
    for (const [path, type, marker] of [
      ["/console/console.js", "text/javascript", "function connect("],
      ["/console/console.css", "text/css", ".row.marker"],
    ] as const) {
      const res = await fetch(`${srv.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith(type);
      expect(await res.text()).toContain(marker);
    }
    // prom-client inside the executable: our counters and the process metrics it reads from /proc.
    const { families } = await scrape(srv.url);
    expect(families.get("stream_connects_total")?.type).toBe("counter");
    expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(sampleValue(families, "stream_info", { version: (await health(srv)).version })).toBe(1);
  } finally {
    await srv.kill();
  }
}, 120_000);
