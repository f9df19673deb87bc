import { fmt, type Row } from "./scenario.ts";

/** Turns rows into the one table `bun run bench` prints: a line per server, then the case's ratios. */
export function table(rows: Row[]): string {
  const lines: string[][] = [["scenario", "case", "server", "result", "details"]];
  const cases = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.scenario}\u0000${r.case}`;
    cases.set(key, [...(cases.get(key) ?? []), r]);
  }
  for (const group of cases.values()) {
    for (const r of group) {
      const details = Object.entries(r.details)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k} ${typeof v === "number" ? fmt(v) : v}`)
        .join(", ");
      lines.push([r.scenario, r.case, r.server, `${fmt(r.value)} ${r.unit}`, details]);
    }
    const ratios = ratioLine(group);
    if (ratios) lines.push(["", "", "", "", `→ ${ratios}`]);
  }
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  const render = (l: string[]) => l.map((cell, c) => (c === l.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  return [render(lines[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...lines.slice(1).map(render)].join("\n");
}

/** The subject (first row) ÷ every other server, with a note on which way is better. */
export function ratios(group: Row[]): { against: string; ratio: number }[] {
  const [subject, ...others] = group;
  if (!subject) return [];
  return others.map((o) => ({ against: o.server, ratio: subject.value / o.value }));
}

function ratioLine(group: Row[]): string {
  const rs = ratios(group);
  if (rs.length === 0) return "";
  const better = group[0]!.higherIsBetter ? "higher is better" : "lower is better";
  return `${group[0]!.server} ÷ ${rs.map((r) => `${r.against} ${r.ratio.toFixed(2)}×`).join(", ÷ ")} (${better})`;
}
