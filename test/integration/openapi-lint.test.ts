import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/server.ts";

/** Redocly's linter (a devDependency), run by Bun: no Node needed, so it runs in the Docker build too. */
const REDOCLY = join(import.meta.dir, "..", "..", "node_modules", "@redocly", "cli", "bin", "cli.js");

/**
 * Warnings of the recommended rules that this document keeps, each for a reason. Anything else the
 * linter reports fails the test.
 */
const ACCEPTED_WARNINGS = [
  // The project declares no license (package.json is private), so the document cannot name one.
  "info-license #/info",
  // A liveness probe has no request to get wrong: it answers 200, or 500/503.
  "operation-4xx-response #/paths/~1api~1health/get/responses",
];

let srv: TestServer;
let dir: string;
beforeAll(() => {
  srv = startTestServer();
  dir = mkdtempSync(join(tmpdir(), "openapi-lint-"));
});
afterAll(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the generated document passes `redocly lint` with the recommended rules", async () => {
  const file = join(dir, "openapi.json");
  await Bun.write(file, await (await fetch(`${srv.url}/openapi.json`)).text());
  const lint = Bun.spawn([process.execPath, REDOCLY, "lint", "--extends", "recommended", "--format", "json", "--max-problems", "1000", file], {
    cwd: dir, // no redocly.yaml of anyone's to pick up
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(lint.stdout).text(), new Response(lint.stderr).text(), lint.exited]);
  let report: { problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
  try {
    report = JSON.parse(out);
  } catch {
    throw new Error(`redocly printed no JSON report (exit ${lint.exitCode}): ${err.slice(0, 2000)}`);
  }
  const problems = report.problems
    .map((p) => ({ severity: p.severity, where: `${p.ruleId} ${p.location[0]?.pointer}`, message: p.message }))
    .filter((p) => !(p.severity === "warn" && ACCEPTED_WARNINGS.includes(p.where)));
  expect(problems).toEqual([]);
}, 60_000);
