#!/usr/bin/env bun
// The README's error tables, printed from the catalogue (src/protocol/errors.ts, close-codes.ts) so they
// cannot say something the server does not. `bun run docs:errors` prints them; `--write` puts them into
// README.md between their markers; test/unit/error-catalogue.test.ts fails when README.md has drifted.
import { CLOSE_CODES } from "../src/protocol/close-codes.ts";
import { ERRORS, FRAME_ERROR_CODES, HTTP_ERROR_CODES, type ErrorEntry } from "../src/protocol/errors.ts";

const README = new URL("../README.md", import.meta.url);

const entry = (code: string): ErrorEntry => ERRORS[code as keyof typeof ERRORS];

/** Each table by the name its README markers carry. */
export function errorTables(): Record<"http" | "frames" | "close", string> {
  const rows = (head: string[], body: string[][]) =>
    [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...body.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  const byStatus = [...HTTP_ERROR_CODES].sort((a, b) => entry(a).http!.status - entry(b).http!.status);
  return {
    http: rows(["status", "`error`", "retry", "when"], byStatus.map((c) => [String(entry(c).http!.status), `\`${c}\``, entry(c).retry, entry(c).http!.when])),
    frames: rows(["`code`", "retry", "when"], FRAME_ERROR_CODES.map((c) => [`\`${c}\``, entry(c).retry, entry(c).frame!.when])),
    close: rows(["close code", "name", "when"], CLOSE_CODES.map((c) => [`\`${c.code}\``, c.name, c.when])),
  };
}

/** `readme` with each table replaced by the catalogue's; throws when a table's markers are missing. */
export function withTables(readme: string): string {
  let out = readme;
  for (const [name, table] of Object.entries(errorTables())) {
    const markers = new RegExp(`(<!-- errors:${name} [^\\n]*-->\\n)[\\s\\S]*?(\\n<!-- /errors:${name} -->)`);
    if (!markers.test(out)) throw new Error(`README.md has no <!-- errors:${name} … --> … <!-- /errors:${name} --> markers`);
    out = out.replace(markers, (_, open: string, close: string) => `${open}${table}${close}`);
  }
  return out;
}

/** The README as it is on disk. */
export async function readReadme(): Promise<string> {
  return Bun.file(README).text();
}

if (import.meta.main) {
  if (process.argv.includes("--write")) {
    await Bun.write(README, withTables(await readReadme()));
    console.log("README.md: error tables written from the catalogue");
  } else {
    for (const [name, table] of Object.entries(errorTables())) console.log(`<!-- errors:${name} -->\n${table}\n`);
  }
}
