import { expect, test } from "bun:test";
import { Registry } from "prom-client";
import { registerHistogram } from "../../src/metrics/histogram.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

test("buckets are cumulative, a value on a bound counts in that bucket, +Inf and _count hold every observation", async () => {
  const registry = new Registry();
  const h = registerHistogram(registry, { name: "t_seconds", help: "test", labelName: "channel", labelValues: ["events", "logs"], buckets: [0.01, 0.1, 1] });
  for (const v of [0.005, 0.01, 0.05, 2, 30]) h.observe("events", v);
  h.observe("logs", 0.5);
  const text = await registry.metrics();
  expect(text).toContain("# TYPE t_seconds histogram");
  const families = parsePrometheus(text);
  const bucket = (le: string, channel = "events") => sampleValue(families, "t_seconds_bucket", { channel, le });
  expect([bucket("0.01"), bucket("0.1"), bucket("1"), bucket("+Inf")]).toEqual([2, 3, 3, 5]);
  expect(sampleValue(families, "t_seconds_count", { channel: "events" })).toBe(5);
  expect(sampleValue(families, "t_seconds_sum", { channel: "events" })).toBeCloseTo(32.065);
  expect([bucket("0.1", "logs"), bucket("1", "logs"), bucket("+Inf", "logs")]).toEqual([0, 1, 1]);
});
