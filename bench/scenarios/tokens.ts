import { mintToken } from "../../src/cli/token.ts";
import { cpuDetails, type GeneratorResult } from "../lib/generate.ts";
import { fmt, runCase, type Row, type Scenario, type ServerSpec } from "../lib/scenario.ts";
import { startTarget, type Target } from "../lib/targets.ts";
import { fanoutCase } from "./fanout.ts";

/**
 * What JSON Web Tokens cost a fan-out: the same `fanout` case (one WebSocket publisher, N subscribers,
 * window 100) on stream-server whose clients all hold a JWT, beside the same executable whose clients hold
 * a static token, and one with no token at all. A token is verified at connect (and refresh, and per HTTP
 * publish), never per delivered frame, so the server's CPU time per event should match: a ratio near 1.
 * The headline is that CPU time, not deliveries/s: this case is bound by its window (the server is far from
 * busy), and on a shared machine its deliveries/s swung 5× between runs of one server (December 2026).
 */
const SECRET = "bench-jwt-secret-0123456789-abcdefghij";
const STATIC = "bench-static-token-0123456789";

/** Which path (with its ?token=) each started server's clients use. */
const paths = new WeakMap<Target, string>();

function spec(label: string, flags: string[], token: () => Promise<string | undefined>): ServerSpec {
  return {
    label,
    async start() {
      const target = await startTarget("stream-server", flags);
      const t = await token();
      paths.set(target, t ? `/ws?token=${t}` : "/ws");
      return target;
    },
  };
}

/** A JWT that may read and publish every event type, valid for an hour: the publisher and every subscriber hold it. */
const jwt = () => mintToken(["--secret", SECRET, "--sub", "bench", "--subscribe", "*", "--publish", "*", "--ttl", "1h"], {});

export const tokens: Scenario = {
  name: "tokens",
  title: "fan-out with JWT-authenticated clients vs static-token and open ones (server CPU µs/event)",
  inDefault: true,
  async run(ctx) {
    const rows: Row[] = [];
    for (const subscribers of [100, 1000]) {
      rows.push(...(await runCase<GeneratorResult>(ctx, {
        scenario: "tokens",
        case: `${subscribers} subs, ws publisher`,
        servers: [
          spec("stream-server (JWT)", ["--jwt-secret", SECRET], jwt),
          spec("stream-server (static token)", ["--publish-token", STATIC], async () => STATIC),
          spec("stream-server (no token)", [], async () => undefined),
        ],
        measure: fanoutCase(ctx, subscribers, "ws", (target) => paths.get(target)!).measure,
        headline: (r) => ({
          value: ((r.serverCpuMs as number) * 1000) / (r.events as number), unit: "server µs/event", higherIsBetter: false,
          details: cpuDetails(r, { lost: r.lost, "deliveries/s": fmt(r.deliveriesPerSec as number) }),
        }),
      })));
    }
    return rows;
  },
};
