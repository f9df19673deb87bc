import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary } from "../helpers/binary.ts";
import { describeIf, findProgram } from "../helpers/requires.ts";
import { postJson } from "../helpers/server.ts";

/**
 * /client.js under Node, unchanged: Node 22 has a global WebSocket; Node 20.10–21 has it behind
 * --experimental-websocket, which this test passes when the Node it finds needs it. Without such a Node
 * it skips loudly, and fails under STREAM_REQUIRE_ALL=1 (CI's machines come with Node 20). The Docker
 * build names it in STREAM_SKIP: Debian 12's nodejs (18) has no WebSocket.
 */
const dir = mkdtempSync(join(tmpdir(), "stream-client-node-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The flags Node needs for a global WebSocket, or undefined when this Node has none. */
function nodeFlags(): string[] | undefined {
  const node = findProgram("node");
  if (!node) return undefined;
  for (const flags of [[], ["--experimental-websocket"]]) {
    const probe = Bun.spawnSync([node, ...flags, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"]);
    if (probe.exitCode === 0) return flags;
  }
  return undefined;
}

const flags = nodeFlags();
const describeWithNode = describeIf("node", () => flags !== undefined, "the client under Node", "no node on PATH with a WebSocket (Node ≥ 22, or 20.10+ with --experimental-websocket)");

describeWithNode("the client under Node", () => {
  test("reads across a SIGKILL and restart (--data) with every seq once, and publishes with an ack", async () => {
    const data = join(dir, "data");
    let srv = await startBinary(["--data", data]);
    const { port } = srv;
    try {
      writeFileSync(join(dir, "client.js"), await (await fetch(`${srv.url}/client.js`)).text());
      writeFileSync(join(dir, "reader.mjs"), `
        import { subscribe } from "./client.js";
        const seen = [];
        const sub = subscribe(process.argv[2], { since: 0, backoff: { initialMs: 100, maxMs: 1000 },
          onState: (s) => console.error(s.text) });
        for await (const item of sub) {
          seen.push(item.kind === "reset" ? "reset" : item.seq);
          if (seen.length === 1) console.error("first item");
          if (seen.length === 100) break;
        }
        const sender = subscribe(process.argv[2], { receive: false });
        const ack = await sender.publish({ type: "from.node" });
        sender.close();
        console.log(JSON.stringify({ seen, ack }));
      `);
      const proc = Bun.spawn([findProgram("node")!, ...flags!, join(dir, "reader.mjs"), srv.url], { stdout: "pipe", stderr: "pipe" });
      let err = "";
      const waiting = new Set<() => void>();
      /** Resolves once Node's stderr (the client's states and the script's notes) contains `text`. */
      const saw = (text: string) => new Promise<void>((resolve) => {
        const check = () => err.includes(text) && (waiting.delete(check), resolve());
        waiting.add(check);
        check();
      });
      void (async () => {
        for await (const chunk of proc.stderr) {
          err += new TextDecoder().decode(chunk);
          for (const check of [...waiting]) check();
        }
      })();
      const publish = (n: number) => postJson(`${srv.url}/api/events`, Array.from({ length: n }, () => ({ type: "node.test" })));
      await saw("live");
      await publish(50);
      await saw("first item");
      await srv.kill("SIGKILL");
      await saw("reconnecting in");
      srv = await startBinary(["--data", data, "--port", String(port)]);
      await publish(50);
      const out = await new Response(proc.stdout).text();
      if ((await proc.exited) !== 0) throw new Error(`node exited ${proc.exitCode}: ${err}\n${out}`);
      const { seen, ack } = JSON.parse(out);
      expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(ack.seq).toBe(101);
    } finally {
      await srv.kill("SIGKILL");
    }
  }, 120_000);
});
