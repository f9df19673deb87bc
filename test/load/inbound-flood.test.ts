import { expect, test } from "bun:test";
import { join } from "node:path";
import { connect } from "../helpers/client.ts";
import { postJson, useServer } from "../helpers/server.ts";

const start = useServer();

// The inbound budget under load: 20 flooders in their own process for 5 s. The budget's per-client cases are
// in test/integration/inbound-budget.test.ts.

test(
  "20 clients flooding tiny frames: a bystander's health and live events stay fast, and the server is normal right after",
  async () => {
    const s = start(["--log-level", "info"]);
    const bystander = await connect(s.ws("/ws"));
    await bystander.next();

    /** One round trip: a health request, then a published event until the bystander receives it. */
    let n = 0;
    const roundTrip = async () => {
      const t0 = performance.now();
      expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
      const health = performance.now() - t0;
      const id = `probe-${++n}`;
      const t1 = performance.now();
      expect((await postJson(`${s.url}/api/events`, { id, type: "probe" })).status).toBe(200);
      await bystander.nextMatching((f) => f.id === id);
      return { health, event: performance.now() - t1 };
    };

    const flooders = Bun.spawn(["bun", join(import.meta.dir, "../helpers/flooder.ts"), String(s.server.port), "20", "5", "junk"], { stdout: "pipe" });
    let flooding = true;
    const ended = flooders.exited.then(() => (flooding = false));
    // Wait until every flooder is connected, so the probes below run while all 20 send.
    await s.waitForLog(() => s.logs.filter((l) => l.msg === "client connected").length >= 21);
    const during: { health: number; event: number }[] = [];
    while (flooding && during.length < 200) {
      during.push(await roundTrip());
      await Bun.sleep(10); // a bystander polls, it does not flood
    }
    await ended;
    const report = JSON.parse(await new Response(flooders.stdout).text());
    const after: { health: number; event: number }[] = [];
    const afterStart = performance.now();
    while (performance.now() - afterStart < 1000) {
      after.push(await roundTrip());
      await Bun.sleep(10);
    }

    const worst = (xs: { health: number; event: number }[]) => Math.max(...xs.flatMap((x) => [x.health, x.event]));
    const median = (xs: { health: number; event: number }[]) => xs.map((x) => Math.max(x.health, x.event)).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`flood: ${report.sent} frames sent by 20 clients; bystander round trip median ${median(during).toFixed(1)}, worst ${worst(during).toFixed(1)} ms during (${during.length} probes), ${worst(after).toFixed(1)} ms after`);
    expect(s.server.refusals.inboundLimit).toBe(20);
    // Before the inbound budget the bystander was stuck in one round trip for the whole flood (4.9 s of 3 s
    // here, up to 28 s in the report). Now it keeps making round trips: a median of milliseconds on a quiet
    // machine, a few hundred on a 2-core machine busy with other suites. These bounds only separate "keeps
    // serving" from "stalls for seconds", so a busy machine cannot fail them; bench/ (`bun run bench flood`)
    // has the figures.
    expect(during.length).toBeGreaterThanOrEqual(5);
    expect(median(during)).toBeLessThan(1000);
    expect(worst(during)).toBeLessThan(4000);
    expect(median(after)).toBeLessThan(250);
    expect(worst(after)).toBeLessThan(2000);
    bystander.close();
  },
  60_000,
);
