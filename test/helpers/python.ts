import { describeIf } from "./requires.ts";

/** What the Python client and its tests import: Debian 12 packages python3-websockets and python3-pytest. */
const MODULES = ["websockets", "pytest"];

/**
 * A python3 that imports the client's modules: Debian's /usr/bin/python3 first (the packages install there),
 * then the python3 on PATH (which may be a pyenv or venv without them); undefined when none does.
 */
export function findPython(): string | undefined {
  const candidates = new Set(["/usr/bin/python3", Bun.which("python3")].filter((p): p is string => Boolean(p)));
  for (const python of candidates) {
    const probe = Bun.spawnSync([python, "-c", `import ${MODULES.join(", ")}`], { stdout: "ignore", stderr: "ignore" });
    if (probe.exitCode === 0) return python;
  }
  return undefined;
}

/** `describe` when such a python3 exists, else a loud skip (a failure under STREAM_REQUIRE_ALL=1); STREAM_SKIP=python3 skips on purpose. */
export const describePython = describeIf(
  "python3", () => findPython() !== undefined, "the Python client's tests",
  `no python3 imports ${MODULES.join(" and ")} (tried /usr/bin/python3 and python3 on PATH; Debian: apt-get install python3 python3-websockets python3-pytest)`,
);
