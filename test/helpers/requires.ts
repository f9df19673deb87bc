import { describe } from "bun:test";

/**
 * Tests that need a program from Debian (redis-server, chromium, nginx, python3 with its modules) find it
 * themselves. When it is missing they are skipped with a loud reason — except under STREAM_REQUIRE_ALL=1 (CI, whose
 * .ci/run installs them), where that is a failure. STREAM_SKIP=chromium,… skips the tests of the programs
 * it names on purpose, loudly, even under STREAM_REQUIRE_ALL=1: a place that cannot install one (the
 * Docker build has no Chromium) says so instead of passing with tests silently missing.
 */

/** The program's path: on PATH, or in /usr/bin or /usr/sbin (nginx, off a non-root PATH); undefined when it is not installed. */
export function findProgram(name: string): string | undefined {
  return Bun.which(name) ?? [`/usr/bin/${name}`, `/usr/sbin/${name}`].find((path) => Bun.file(path).size > 0);
}

/** The programs STREAM_SKIP names (comma- or space-separated). */
export function skippedOnPurpose(env: Record<string, string | undefined> = process.env): string[] {
  return (env.STREAM_SKIP ?? "").split(/[\s,]+/).filter(Boolean);
}

/** `describe` when `program` is installed, else `describe.skip` with a loud reason (or a throw under STREAM_REQUIRE_ALL=1). */
export function describeIfInstalled(program: string, what: string, aptPackage = program): typeof describe {
  return describeIf(program, () => findProgram(program) !== undefined, what, `${program} not found on PATH, in /usr/bin or in /usr/sbin (Debian: apt-get install ${aptPackage})`);
}

/**
 * The same for a need more particular than a program on PATH (python3 with given modules): `describe` when
 * `found()`, else skipped or failed as above with `missing` as the reason. STREAM_SKIP names it by `program`.
 */
export function describeIf(program: string, found: () => boolean, what: string, missing: string): typeof describe {
  if (skippedOnPurpose().includes(program)) {
    console.warn(`\n*** SKIPPING ${what} on purpose: STREAM_SKIP=${process.env.STREAM_SKIP} names ${program} ***\n`);
    return describe.skip as typeof describe;
  }
  if (found()) return describe;
  if (process.env.STREAM_REQUIRE_ALL === "1") throw new Error(`STREAM_REQUIRE_ALL=1 but ${missing}`);
  console.warn(`\n*** SKIPPING ${what}: ${missing} ***\n`);
  return describe.skip as typeof describe;
}
