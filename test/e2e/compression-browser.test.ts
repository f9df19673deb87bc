import { expect, test } from "bun:test";
import { startBinary } from "../helpers/binary.ts";
import { describeBrowser, launchBrowser } from "../helpers/browser.ts";
import { postJson } from "../helpers/server.ts";

// The callbacks given to page.waitForFunction run in the browser; the test's tsconfig has no DOM lib.
declare const document: any;

describeBrowser("a browser and --compression on", () => {
  test(
    "Chromium negotiates permessage-deflate by itself, and the web console shows the compressed events as usual",
    async () => {
      const [browser, srv] = await Promise.all([launchBrowser(), startBinary(["--compression", "on"])]);
      try {
        const page = await browser.newPage();
        await page.goto(`${srv.url}/`);
        await page.waitForSelector("#events-state[data-state=live]");
        // What a page's own `new WebSocket(…)` gets, with no option set: the browser offered it.
        const extensions = await page.evaluate(`new Promise((resolve) => {
          const ws = new WebSocket(location.origin.replace("http", "ws") + "/ws");
          ws.onopen = () => { resolve(ws.extensions); ws.close(); };
        })`);
        expect(extensions).toStartWith("permessage-deflate");
        for (const type of ["order.placed", "order.filled"]) expect((await postJson(`${srv.url}/api/events`, { type, data: { qty: 5 } })).status).toBe(200);
        await page.waitForFunction(() => document.querySelectorAll("#events-rows .row.ev").length === 2);
      } finally {
        await srv.kill();
        await browser.dispose();
      }
    },
    120_000,
  );
});
