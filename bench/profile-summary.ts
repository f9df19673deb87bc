/**
 * Where the time goes in a CPU profile: `bun bench/profile-summary.ts <file.cpuprofile | dir> [self N] [inclusive N]`
 * prints the functions with the most self time, then the most inclusive time (their subtree).
 * Profiles come from `bun run bench <scenario> --profile` (see bench/README.md).
 */
import { readdirSync, readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const path = process.argv[2];
if (!path) {
  console.error("usage: bun bench/profile-summary.ts <file.cpuprofile | directory> [self N] [inclusive N]");
  process.exit(2);
}
const file = path.endsWith(".cpuprofile") ? path : `${path}/${readdirSync(path).filter((f) => f.endsWith(".cpuprofile")).sort().at(-1)}`;
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const self = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i]!, (self.get(prof.samples[i]!) ?? 0) + (prof.timeDeltas[i] ?? 0));
const keyOf = new Map<number, string>();
const children = new Map<number, number[]>();
for (const n of prof.nodes) {
  const cf = n.callFrame;
  keyOf.set(n.id, `${cf.functionName || "(anonymous)"} ${cf.url.replace(/.*\/(src|node_modules)\//, "$1/")}:${cf.lineNumber + 1}`);
  children.set(n.id, n.children ?? []);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

const bySelf = new Map<string, number>();
for (const [id, t] of self) bySelf.set(keyOf.get(id)!, (bySelf.get(keyOf.get(id)!) ?? 0) + t);

// Inclusive: a node's subtree, counted once per function on each stack (recursion is not double-counted).
const inclusive = new Map<string, number>();
const walk = (id: number, onStack: Set<string>): number => {
  const key = keyOf.get(id)!;
  const first = !onStack.has(key);
  if (first) onStack.add(key);
  let t = self.get(id) ?? 0;
  for (const c of children.get(id)!) t += walk(c, onStack);
  if (first) {
    onStack.delete(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
  return t;
};
walk(prof.nodes[0]!.id, new Set());

const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`--- ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(file);
show("self time", bySelf, Number(process.argv[3] ?? 25));
show("inclusive time", inclusive, Number(process.argv[4] ?? 40));
