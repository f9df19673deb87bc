import { standardTargets, startTarget, type Target } from "./targets.ts";

/**
 * The scenario registry's vocabulary. A scenario runs one or more cases; each case measures several
 * servers in the same run and yields one row per server. The first server of a case is the subject
 * (stream-server); the table prints subject ÷ every other server on the headline figure.
 */

export interface Scenario {
  /** Command-line name: `bun run bench <name>`. */
  name: string;
  title: string;
  /** Part of a plain `bun run bench` (false: only when named, e.g. long or needing Redis). */
  inDefault: boolean;
  run(ctx: BenchContext): Promise<Row[]>;
}

export interface BenchContext {
  /** Runs per server per case; the row reports the median run. */
  repeat: number;
  /** Scale durations by this factor (--quick uses 0.4). */
  timeScale: number;
  /** Progress line on stderr. */
  progress(message: string): void;
  /** Measure only these servers (--only), e.g. while profiling. */
  only?: string[];
  /** Run only the cases whose name contains this text (--case). */
  caseFilter?: string;
}

/** One server's figures in one case. */
export interface Row {
  scenario: string;
  case: string;
  server: string;
  /** The headline figure the ratios compare. */
  value: number;
  unit: string;
  higherIsBetter: boolean;
  /** Other figures shown beside it (CPU, lost, p50…), already rounded for display. */
  details: Record<string, number | string | undefined>;
  /** Every figure of the median run, for the JSON file. */
  raw: Record<string, unknown>;
}

/** A server a case can start: one of the built-in targets, or stream-server with extra flags. */
export interface ServerSpec {
  label: string;
  start(): Promise<Target>;
}

/** The built-in targets, stream-server first. `flags` go to stream-server (and "previous"). */
export function standardServers(flags: string[] = []): ServerSpec[] {
  return standardTargets().map((name) => ({ label: name, start: () => startTarget(name, name === "stream-server" || name === "previous" ? flags : []) }));
}

export interface CaseSpec<R extends Record<string, unknown>> {
  scenario: string;
  case: string;
  servers: ServerSpec[];
  /** Measures one server once (a fresh process each time). */
  measure(target: Target): Promise<R>;
  /** Picks the headline figure and the details from a measurement. */
  headline(r: R): { value: number; unit: string; higherIsBetter: boolean; details: Row["details"] };
}

/**
 * Runs a case: every server `ctx.repeat` times, interleaved (A B C A B C…) so that noise from a
 * shared machine spreads over all of them; keeps each server's median run.
 */
export async function runCase<R extends Record<string, unknown>>(ctx: BenchContext, spec: CaseSpec<R>): Promise<Row[]> {
  if (ctx.caseFilter && !spec.case.includes(ctx.caseFilter)) return [];
  spec = { ...spec, servers: spec.servers.filter((s) => !ctx.only || ctx.only.includes(s.label)) };
  const runs = new Map<string, R[]>(spec.servers.map((s) => [s.label, []]));
  const failures = new Map<string, string>();
  for (let i = 0; i < ctx.repeat; i++) {
    for (const server of spec.servers) {
      ctx.progress(`${spec.scenario} · ${spec.case} · ${server.label}${ctx.repeat > 1 ? ` (run ${i + 1}/${ctx.repeat})` : ""}`);
      let target: Target | undefined;
      try {
        target = await server.start();
        runs.get(server.label)!.push(await spec.measure(target));
      } catch (err) {
        // One failing server must not sink the whole run: its row shows the failure instead.
        const message = err instanceof Error ? err.message : String(err);
        ctx.progress(`  failed: ${message.split("\n")[0]}`);
        failures.set(server.label, message);
      } finally {
        await target?.stop();
      }
    }
  }
  return spec.servers.map((server) => {
    const all = runs.get(server.label)!;
    if (all.length === 0) {
      const error = failures.get(server.label) ?? "no run";
      return { scenario: spec.scenario, case: spec.case, server: server.label, value: NaN, unit: "", higherIsBetter: true, details: { error: error.split("\n")[0] }, raw: { error } };
    }
    const sorted = [...all].sort((a, b) => spec.headline(a).value - spec.headline(b).value);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const h = spec.headline(median);
    return {
      scenario: spec.scenario, case: spec.case, server: server.label, ...h,
      raw: { ...median, runs: all.map((r) => spec.headline(r).value) },
    };
  });
}

/** Rounds for display: 3 significant figures. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return "-";
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toPrecision(3)} M`;
  if (abs >= 1e4) return `${(n / 1e3).toPrecision(3)} k`;
  if (abs >= 100) return String(Math.round(n));
  return n.toPrecision(3).replace(/\.?0+$/, "");
}
