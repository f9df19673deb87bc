/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: it throws on
 * any line a Prometheus server would reject, and checks each family's TYPE against its samples.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (\\S+)(?: (-?\\d+))?$`);
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/i;
const SUFFIXES = { histogram: ["_bucket", "_sum", "_count"], summary: ["", "_sum", "_count"] } as const;

/** Parses exposition text into families keyed by name; throws with the line number on any error. */
export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (sample: string): Family | undefined => {
    for (const [name, f] of families) {
      const suffixes: readonly string[] = f.type === "histogram" || f.type === "summary" ? SUFFIXES[f.type] : [""];
      if (suffixes.some((s) => sample === name + s)) return f;
    }
    return undefined;
  };
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("exposition must end with a newline");
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      const f = families.get(name) ?? { name, type: "untyped" as const, samples: [] };
      if (kind === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`unknown TYPE at ${where}`);
        if (f.samples.length > 0) throw new Error(`TYPE after samples at ${where}`);
        f.type = rest as Family["type"];
      } else f.help = rest;
      families.set(name, f);
      return;
    }
    if (line.startsWith("#")) return;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample at ${where}`);
    const name = m[1]!;
    const valueText = m[m.length - 2]!;
    if (!VALUE.test(valueText)) throw new Error(`bad value at ${where}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? "").matchAll(new RegExp(LABEL, "g"))) {
      if (lm[1]! in labels) throw new Error(`duplicate label at ${where}`);
      labels[lm[1]!] = lm[2]!.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    }
    const f = familyOf(name) ?? families.get(name);
    if (!f) throw new Error(`sample without a TYPE at ${where}`);
    f.samples.push({ name, labels, value: Number(valueText.replace(/inf/i, "Infinity")) });
  });
  for (const f of families.values()) {
    if (f.type === "counter" && !f.name.endsWith("_total")) throw new Error(`counter ${f.name} should end in _total`);
    if (f.type === "histogram") checkHistogram(f);
  }
  return families;
}

/** Buckets are cumulative, end with +Inf, and +Inf equals _count, per label set. */
function checkHistogram(f: Family) {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples.filter((s) => s.name.endsWith("_bucket"))) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name} bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, buckets] of series) {
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${f.name}${key} buckets are not cumulative`);
    }
    if (buckets.at(-1)!.labels.le !== "+Inf") throw new Error(`${f.name}${key} does not end with le="+Inf"`);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === key);
    if (count?.value !== buckets.at(-1)!.value) throw new Error(`${f.name}${key}: +Inf bucket differs from _count`);
  }
}

/** The value of one sample: `name` with exactly `labels`; 0 when the series does not exist yet. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const f of families.values()) {
    const s = f.samples.find((s) => s.name === name && sameLabels(s.labels, labels));
    if (s) return s.value;
  }
  return 0;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** GETs /metrics and parses it. */
export async function scrape(baseUrl: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  return { contentType: res.headers.get("content-type"), families: parsePrometheus(await res.text()) };
}
