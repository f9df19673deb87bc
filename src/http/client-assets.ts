// Bun macros: run when the server is bundled (`bun build --compile`, or loaded by `bun run`), never at
// request time. They turn src/client/ into the one ES module and the one declaration file served at
// /client.js and /client.d.ts, so the executable carries them like the console's assets.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const CLIENT = join(import.meta.dir, "..", "client");
/** Where made declarations are kept, by a hash of the sources: loading TypeScript costs 1–3 s, paid once per change, not per start. */
const CACHE = join(import.meta.dir, "..", "..", "node_modules", ".cache", "stream-server");

/** src/client/index.ts bundled into one ES module for any runtime (Bun.build cannot run inside a macro: the CLI does it). */
export function clientScript(): string {
  const built = Bun.spawnSync([process.execPath, "build", join(CLIENT, "index.ts"), "--format=esm", "--target=browser"]);
  if (built.exitCode !== 0) throw new Error(`bundling src/client failed: ${built.stderr.toString()}`);
  return `// stream-server client: see /docs and docs/clients.md. Types: /client.d.ts\n${built.stdout.toString()}`;
}

/**
 * The client's declarations as one file: each module's declarations (TypeScript's isolated
 * declaration emit: no type checking, so it stays fast) with the imports between them removed. Only what
 * index.ts exports stays exported, as in the bundle.
 */
export async function clientTypes(): Promise<string> {
  const files = readdirSync(CLIENT).filter((f) => f.endsWith(".ts")).sort();
  const sources = new Map(files.map((f) => [f, readFileSync(join(CLIENT, f), "utf8")]));
  const cached = join(CACHE, `client-${Bun.hash([readFileSync(import.meta.path, "utf8"), ...sources].flat().join("\0")).toString(36)}.d.ts`);
  if (existsSync(cached)) return readFileSync(cached, "utf8");
  const made = await declarations(sources);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, made);
  return made;
}

async function declarations(sources: Map<string, string>): Promise<string> {
  const ts = (await import("typescript")).default;
  const index = sources.get("index.ts")!;
  const whole = new Set([...index.matchAll(/export (?:type )?\* from "\.\/([\w-]+)\.ts"/g)].map((m) => `${m[1]}.ts`));
  const named = [...index.matchAll(/export (?:type )?\{([^}]*)\} from "\.\//g)].map((m) => m[0].startsWith("export type") ? m[1]!.split(",").map((n) => `type ${n.trim()}`).join(", ") : m[1]!.trim());
  const parts = [...sources.keys()].filter((f) => f !== "index.ts").map((file) => {
    const out = ts.transpileDeclaration(sources.get(file)!, { fileName: file, reportDiagnostics: true });
    if (out.diagnostics?.length) throw new Error(`src/client/${file}: ${out.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("; ")}`);
    const body = out.outputText.split("\n").filter((line) => !/^import .* from "\.\/.*";$/.test(line)).join("\n");
    return whole.has(file) ? body : body.replace(/^export (declare |type |interface )/gm, (_, rest) => (rest === "declare " ? "declare " : rest));
  });
  return `// stream-server client: declarations for /client.js\n${parts.join("\n")}\nexport { ${named.join(", ")} };\n`;
}
