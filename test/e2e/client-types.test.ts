import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary } from "../helpers/binary.ts";

/** What the executable serves at /client.d.ts declares what it serves at /client.js, for a TypeScript program to check against. */
const dir = mkdtempSync(join(tmpdir(), "stream-client-types-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("/client.d.ts declares the served module: a TypeScript program using it type-checks", async () => {
  const srv = await startBinary();
  const [js, types] = await Promise.all(["/client.js", "/client.d.ts"].map((path) => fetch(`${srv.url}${path}`)));
  await srv.kill();
  expect(types!.status).toBe(200);
  expect(types!.headers.get("content-type")).toBe("application/typescript; charset=utf-8");
  writeFileSync(join(dir, "client.js"), await js!.text());
  writeFileSync(join(dir, "client.d.ts"), await types!.text());
  writeFileSync(join(dir, "use.ts"), [
    'import { subscribe, StreamRefusedError, type Item, type Position } from "./client.js";',
    'const sub = subscribe("http://localhost:8000", { types: ["order.*"], position: { epoch: "e", seq: 1 }, onState: (s) => console.log(s.text) });',
    "for await (const item of sub) { const i: Item = item; if (i.kind === 'reset') console.log(i.lost?.from, i.next); else console.log(i.seq); }",
    "const p: Position | undefined = sub.position; console.log(p, StreamRefusedError);",
    "const r = await sub.publish({ type: 'x' }); const n: number = r.seq; console.log(n);",
    "// @ts-expect-error: a typo in an option is caught",
    'subscribe("http://x", { tpyes: "a" });',
  ].join("\n"));
  const tsc = Bun.spawn([process.execPath, join(import.meta.dir, "../../node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--target", "es2022", "--module", "esnext",
    "--moduleResolution", "bundler", "--lib", "es2022,dom", join(dir, "use.ts")], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(tsc.stdout).text();
  expect(out).toBe("");
  expect(await tsc.exited).toBe(0);
}, 60_000);
