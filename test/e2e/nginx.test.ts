import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { buildBinary, startBinary, type BinaryServer } from "../helpers/binary.ts";
import { connectPastHello, type TestSocket } from "../helpers/client.ts";
import { describeBrowser, launchBrowser } from "../helpers/browser.ts";
import { upgradeFrom } from "../helpers/from-address.ts";
import { describeNginx, startNginx } from "../helpers/nginx.ts";
import { describeRedis, startRedis, uniquePrefix, type RedisServer } from "../helpers/redis.ts";
import { health, postJson } from "../helpers/server.ts";
import { openEventStream } from "../helpers/sse.ts";

// The callbacks given to page.waitForFunction run in the browser; the test's tsconfig has no DOM lib.
declare const document: any;

/**
 * deploy/nginx/stream-server.conf as shipped, run by Debian's nginx in front of two compiled instances
 * on one Redis: what a user who copies it gets. Every instance trusts nginx's address (127.0.0.1) with
 * --trusted-proxy. Clients that must be told apart connect from other loopback addresses (127.0.0.2,
 * 127.0.0.3): nginx sees them as distinct clients, as it would see two users, and forwards that.
 */
describeRedis("behind nginx", () => {
  describeNginx("deploy/nginx/stream-server.conf in front of two instances on one Redis", () => {
    let redis: RedisServer;
    const cleanup: Array<() => Promise<void> | void> = [];
    beforeAll(async () => {
      await buildBinary();
      redis = await startRedis();
    }, 120_000);
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });
    afterAll(() => redis?.stop());

    /** Two instances sharing a fresh key prefix, and nginx in front of them. */
    const cluster = async (flags: string[] = []) => {
      const prefix = uniquePrefix();
      const instances = await Promise.all([0, 1].map(() =>
        startBinary(["--redis", redis.url, "--redis-prefix", prefix, "--publish-rate", "0", "--trusted-proxy", "127.0.0.1", ...flags])));
      for (const srv of instances) cleanup.push(async () => void (await srv.kill()));
      const nginx = await startNginx(instances.map((s) => `127.0.0.1:${s.port}`));
      cleanup.push(() => nginx.stop());
      return { a: instances[0]!, b: instances[1]!, nginx, ws: (path: string) => `ws://127.0.0.1:${nginx.port}${path}` };
    };
    const subscribe = async (url: string) => {
      const ws = await connectPastHello(url);
      cleanup.push(() => ws.close());
      return ws;
    };
    const publish = (base: { url: string }, body: unknown) => postJson(`${base.url}/api/events`, body);
    const openOn = async (srv: BinaryServer, path: string) => (await health(srv)).connections[path] as number;

    test("WebSocket clients on all three paths get events published on either instance, and are spread over both", async () => {
      const { a, b, nginx, ws } = await cluster();
      const events: TestSocket[] = [await subscribe(ws("/ws")), await subscribe(ws("/api/stream"))];
      const logs = await subscribe(ws("/ws/logs"));
      const onA = await publish(a, { type: "on.a" });
      const onB = await publish(b, { type: "on.b" });
      const through = await publish(nginx, { type: "through.nginx" });
      expect([onA.status, onB.status, through.status]).toEqual([200, 200, 200]);
      for (const sub of events) {
        expect((await sub.take(3)).map((f) => [f.seq, f.type])).toEqual([[1, "on.a"], [2, "on.b"], [3, "through.nginx"]]);
      }
      // The log stream is live through the proxy as well.
      expect((await postJson(`${b.url}/api/logs`, { level: "info", message: "through nginx", source: "test" })).status).toBe(200);
      expect(await logs.nextMatching((f) => f.kind === "log" && f.source === "test")).toMatchObject({ message: "through nginx" });
      // least_conn: the two event streams went to different instances.
      expect([(await openOn(a, "/ws")) + (await openOn(a, "/api/stream")), (await openOn(b, "/ws")) + (await openOn(b, "/api/stream"))]).toEqual([1, 1]);
      // A plain GET on a WebSocket path still gets the server's own answer, not nginx's.
      const plain = await fetch(`${nginx.url}/ws`);
      expect(plain.status).toBe(426);
      expect(((await plain.json()) as any).error).toBe("upgrade_required");
    }, 60_000);

    test("a Server-Sent Events client gets each event as it is published, not in buffered bursts", async () => {
      const { a, b, nginx } = await cluster();
      for (const path of ["/api/events/stream", "/ws"]) {
        const sse = await openEventStream(`${nginx.url}${path}`);
        cleanup.push(() => sse.close());
        expect(sse.status).toBe(200);
        expect(sse.headers.get("content-type")).toStartWith("text/event-stream");
        expect((await sse.frame()).kind).toBe("hello");
        // One event at a time, each awaited before the next is published: a proxy that buffered the
        // stream would hold the first (a few hundred bytes) until more arrived, and this would hang.
        for (const [i, srv] of [a, b, a].entries()) {
          const res = await publish(srv, { type: `one.at.a.time.${i}`, source: path });
          expect(res.status).toBe(200);
          expect(await sse.frame()).toMatchObject({ kind: "event", seq: res.body.items[0].seq, type: `one.at.a.time.${i}`, _id: String(res.body.items[0].seq) });
        }
        sse.close();
      }
    }, 60_000);

    test("a client resuming through nginx after its instance stopped lands on the other one and misses nothing", async () => {
      const { a, b, nginx, ws } = await cluster();
      const first = await subscribe(ws("/api/stream"));
      const hello = JSON.parse(first.raw[0]!);
      for (let i = 1; i <= 3; i++) expect((await publish(nginx, { type: `seen.${i}` })).status).toBe(200);
      expect((await first.take(3)).map((f) => f.seq)).toEqual([1, 2, 3]);
      // Stop the instance holding the client (SIGTERM: a rolling update), as a user's deploy would.
      const [holder, other] = (await openOn(a, "/api/stream")) === 1 ? [a, b] : [b, a];
      expect(await holder.kill("SIGTERM")).toBe(0);
      expect((await first.closed).code).toBe(1001);
      const missed = await publish(nginx, [{ type: "missed.1" }, { type: "missed.2" }]);
      expect(missed.status).toBe(200);

      const resumed = await connectPastHello(ws(`/api/stream?since=3&epoch=${hello.epoch}`));
      cleanup.push(() => resumed.close());
      expect(JSON.parse(resumed.raw[0]!)).toMatchObject({ kind: "hello", epoch: hello.epoch, seq: 5, resume: { since: 3, complete: true } });
      expect((await resumed.take(2)).map((f) => [f.seq, f.type])).toEqual([[4, "missed.1"], [5, "missed.2"]]);
      expect(await openOn(other, "/api/stream")).toBe(1);
      expect((await publish(nginx, { type: "live" })).status).toBe(200);
      expect(await resumed.next()).toMatchObject({ kind: "event", seq: 6, type: "live" });
    }, 60_000);

    test("per-address limits count the real clients, whatever X-Forwarded-For a client sends itself", async () => {
      // One connection per address on each instance: two instances hold at most two from one client.
      const { a, b, ws } = await cluster(["--max-connections-per-address", "1"]);
      const from = async (address: string, spoof: string) => {
        const s = await upgradeFrom(address, ws("/ws"), { "x-forwarded-for": spoof });
        cleanup.push(() => s.close());
        return s;
      };
      // Three connections from 127.0.0.2, each claiming another address: the third is refused, by its real address.
      const fromTwo = [await from("127.0.0.2", "203.0.113.1"), await from("127.0.0.2", "203.0.113.2"), await from("127.0.0.2", "127.0.0.3")];
      expect(fromTwo.map((s) => s.status)).toEqual([101, 101, 503]);
      expect(fromTwo[2]!.body).toMatchObject({ error: "too_many_connections" });
      expect(fromTwo[2]!.body.message).toStartWith("127.0.0.2 already holds 1 connections");
      // Another client behind the same nginx is not held back by the first.
      expect((await from("127.0.0.3", "127.0.0.2")).status).toBe(101);
      // And the instances' logs name the clients, not nginx (a line is awaited: stdout arrives through a pipe).
      for (const client of ["127.0.0.2", "127.0.0.3"]) {
        await Promise.any([a, b].map((srv) => srv.waitForOutput(new RegExp(`client connected .*remote=${client.replaceAll(".", "\\.")}\\b`))));
      }
      expect(a.output() + b.output()).not.toContain("203.0.113.");
    }, 60_000);

    describeBrowser("the web console through nginx", () => {
      let browser: Awaited<ReturnType<typeof launchBrowser>>;
      beforeAll(async () => {
        browser = await launchBrowser();
      }, 120_000);
      afterAll(() => browser?.dispose(), 60_000);

      test("loads and goes live, under --cors-origin, and shows an event published on either instance", async () => {
        // --cors-origin set: the console's WebSocket must count as the server's own origin through the proxy.
        const { a, b, nginx } = await cluster(["--cors-origin", "https://app.example.com"]);
        const page: Page = await browser.newPage();
        cleanup.push(() => page.close());
        const errors: string[] = [];
        page.on("pageerror", (err) => errors.push(err.message));
        await page.goto(`${nginx.url}/`);
        await page.waitForSelector("#events-state[data-state=live]", { timeout: 60_000 });
        await page.waitForSelector("#logs-state[data-state=live]", { timeout: 60_000 });
        for (const srv of [a, b]) expect((await publish(srv, { type: `console.${srv === a ? "a" : "b"}` })).status).toBe(200);
        await page.waitForFunction(() => document.querySelectorAll("#events-rows .row.ev").length === 2, undefined, { timeout: 60_000 });
        expect(await page.$$eval("#events-rows .row.ev", (rows) => rows.map((r) => (r as any).dataset.type))).toEqual(["console.b", "console.a"]);
        expect(errors).toEqual([]);
      }, 120_000);
    });
  });
});
