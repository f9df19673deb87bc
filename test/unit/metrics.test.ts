import { expect, test } from "bun:test";
import { createMetrics } from "../../src/metrics/metrics.ts";
import type { Hub } from "../../src/hub/hub.ts";
import { createConnections } from "../../src/access/connections.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

const hub = {
  position: () => ({ epoch: "e", seq: 0 }),
  read: async () => ({ entries: [], firstSeq: 0, position: { epoch: "e", seq: 0 } }),
} as unknown as Hub;

test("a batch whose accept time is unknown counts as published but not as a latency sample", async () => {
  const metrics = createMetrics({ hub, connections: createConnections() });
  metrics.fannedOut("events", 2, Number.NaN);
  metrics.fannedOut("events", 1, Date.now() - 5);
  const families = parsePrometheus(await metrics.render());
  expect(sampleValue(families, "stream_frames_published_total", { channel: "events" })).toBe(3);
  expect(sampleValue(families, "stream_publish_fanout_seconds_count", { channel: "events" })).toBe(1);
  expect(sampleValue(families, "stream_publish_fanout_seconds_bucket", { channel: "events", le: "0.001" })).toBe(0);
  expect(sampleValue(families, "stream_publish_fanout_seconds_bucket", { channel: "events", le: "+Inf" })).toBe(1);
  expect(sampleValue(families, "stream_publish_fanout_seconds_sum", { channel: "events" })).toBeGreaterThanOrEqual(0.005);
});

test("two servers in one process keep separate counts (tests start many)", async () => {
  const a = createMetrics({ hub, connections: createConnections() });
  const b = createMetrics({ hub, connections: createConnections() });
  a.connected("/ws");
  a.connected("/ws");
  b.connected("/ws");
  expect(sampleValue(parsePrometheus(await a.render()), "stream_connects_total", { path: "/ws" })).toBe(2);
  expect(sampleValue(parsePrometheus(await b.render()), "stream_connects_total", { path: "/ws" })).toBe(1);
});
