#!/usr/bin/env bun
// The error tables of docs/protocol.md, printed from the catalogue (src/protocol/errors.ts, close-codes.ts)
// so they cannot say something the server does not. `bun run docs:errors` prints them; `--write` puts them
// into docs/protocol.md between their markers; test/unit/error-catalogue.test.ts fails when the page drifts.
import { CLOSE_CODES } from "../../src/protocol/close-codes.ts";
import { ERRORS, FRAME_ERROR_CODES, HTTP_ERROR_CODES, type ErrorEntry } from "../../src/protocol/errors.ts";

const PAGE = new URL("../../docs/protocol.md", import.meta.url);

const entry = (code: string): ErrorEntry => ERRORS[code as keyof typeof ERRORS];

/** Each table by the name its markers in docs/protocol.md carry. */
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

/** `page` with each table replaced by the catalogue's; throws when a table's markers are missing. */
export function withTables(page: string): string {
  let out = page;
  for (const [name, table] of Object.entries(errorTables())) {
    const markers = new RegExp(`(<!-- errors:${name} [^\\n]*-->\\n)[\\s\\S]*?(\\n<!-- /errors:${name} -->)`);
    if (!markers.test(out)) throw new Error(`docs/protocol.md has no <!-- errors:${name} … --> … <!-- /errors:${name} --> markers`);
    out = out.replace(markers, (_, open: string, close: string) => `${open}${table}${close}`);
  }
  return out;
}

/** docs/protocol.md as it is on disk. */
export async function readPage(): Promise<string> {
  return Bun.file(PAGE).text();
}

if (import.meta.main) {
  if (process.argv.includes("--write")) {
    await Bun.write(PAGE, withTables(await readPage()));
    console.log("docs/protocol.md: error tables written from the catalogue");
  } else {
    for (const [name, table] of Object.entries(errorTables())) console.log(`<!-- errors:${name} -->\n${table}\n`);
  }
}
