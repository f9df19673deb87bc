import { expect, test } from "bun:test";
import { join } from "node:path";
import { buildBinary } from "../helpers/binary.ts";
import { describePython, findPython } from "../helpers/python.ts";

const ROOT = join(import.meta.dir, "..", "..");

/**
 * The Python client's own suite (clients/python, pytest) against the executable this test process built:
 * restarts under a reading client, resets, refusals, publish retries. It fails when pytest fails or runs nothing.
 */
describePython("the Python client (clients/python)", () => {
  test("its pytest suite passes against the compiled server", async () => {
    const python = findPython()!;
    const proc = Bun.spawn([python, "-m", "pytest", "clients/python", "-q", "-p", "no:cacheprovider"], {
      cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe",
      env: { ...process.env, STREAM_SERVER_BIN: await buildBinary(), PYTHONDONTWRITEBYTECODE: "1" },
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`${python} -m pytest clients/python exited ${code}:\n${stdout}\n${stderr}`);
    const summary = stdout.trim().split("\n").at(-1) ?? "";
    expect(summary).toMatch(/^\d+ passed in /); // no failure, no skip, no error: only passes
  }, 300_000);
});
