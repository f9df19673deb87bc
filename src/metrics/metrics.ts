import { Counter, Gauge, Registry } from "prom-client";
import { CHANNELS, type Channel } from "../hub/channels.ts";
import type { Fanout } from "../hub/fanout.ts";
import type { Hub } from "../hub/hub.ts";
import type { FrameErrorCode } from "../protocol/errors.ts";
import { VERSION } from "../version.ts";
import { WS_PATHS } from "../protocol/endpoints.ts";
import { registerHistogram } from "./histogram.ts";
import { registerProcessMetrics } from "./process.ts";

/**
 * What the server reports while it runs. Each call only adds to plain numbers (the fan-out calls it
 * per frame); prom-client reads them when /metrics is scraped. Labels are paths, channels and HTTP
 * statuses only: never event types, sources or clients, whose values are unbounded.
 */
export interface Recorder {
  /** A WebSocket or SSE stream opened on `path`. */
  connected(path: string): void;
  /** A WebSocket or SSE stream on `path` closed, for whatever reason. */
  disconnected(path: string): void;
  /** The server closed a client on `path` because it stopped reading (backpressure past the limit). */
  slowConsumerClosed(path: string): void;
  /** A publish request on `channel`'s HTTP route was answered with `status`. */
  publishAnswered(channel: Channel, status: number): void;
  /** A publish frame on a `channel` WebSocket was handled: `ok`, or the code of the error frame it got. */
  publishFrameAnswered(channel: Channel, outcome: "ok" | FrameErrorCode): void;
  /** `frames` frames reached local fan-out; the hub accepted them at `acceptedAt` (ms since the epoch). */
  fannedOut(channel: Channel, frames: number, acceptedAt: number): void;
  /** One frame of `bytes` bytes went to one topic that `subscribers` sockets hold. */
  delivered(channel: Channel, subscribers: number, bytes: number): void;
  /** `frames` live frames (`bytes` in all) went to one JS-side stream, outside native pub/sub (SSE). */
  streamed(channel: Channel, frames: number, bytes: number): void;
  /** A resuming client was sent its opening frames; those with a seq are replayed history. */
  replayed(channel: Channel, frames: readonly { text: string; seq?: number }[]): void;
}

/** The recorder plus the Prometheus exposition of everything it counted. */
export interface Metrics extends Recorder {
  /** The metrics in the Prometheus text format. */
  render(): Promise<string>;
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string;
}

export interface MetricsDeps {
  hub: Hub;
  /** Open connections per path, read at scrape time (the connection counter in access/). */
  connections: { byPath(): Record<string, number> };
  /** Turned away, by reason (the guards' counters in access/), read at scrape time. */
  refusals?: Readonly<Record<string, number>>;
}

/** Publish→fan-out latency buckets, in seconds; the start time has millisecond resolution. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Creates the counters and the registry that exposes them (one per server). */
export function createMetrics({ hub, connections, refusals }: MetricsDeps): Metrics {
  const registry = new Registry();
  const perPath = () => tallyOf(WS_PATHS);
  const perChannel = () => tallyOf(CHANNELS);
  const t = {
    connects: perPath(),
    disconnects: perPath(),
    slowCloses: perPath(),
    published: perChannel(),
    delivered: perChannel(),
    replayed: perChannel(),
    bytes: perChannel(),
    /** Per channel, per status: numbers as keys, so counting a request builds no string. */
    requests: new Map<Channel, Map<number, number>>(CHANNELS.map((c) => [c, new Map()])),
    /** Per channel, per outcome (`ok` or an error frame's code: a fixed set, never client text). */
    frames: new Map<Channel, Map<"ok" | FrameErrorCode, number>>(CHANNELS.map((c) => [c, new Map()])),
  };
  /** A counter with one label whose values are the tally's keys. */
  const counter = (name: string, help: string, label: "path" | "channel", tally: Tally) =>
    scrapedCounter(registry, { name, help, labelNames: [label], samples: () => Object.entries(tally).map(([key, n]) => [{ [label]: key }, n]) });

  /** A counter labelled by channel and one more label, whose values are the keys of each channel's tally. */
  const perChannelBy = (name: string, help: string, label: string, tallies: Map<Channel, Map<string | number, number>>) =>
    scrapedCounter(registry, {
      name,
      help,
      labelNames: ["channel", label],
      samples: () => [...tallies].flatMap(([channel, byKey]) => [...byKey].map(([key, n]): Sample => [{ channel, [label]: String(key) }, n])),
    });

  counter("stream_connects_total", "WebSocket and Server-Sent Events connections opened, per path", "path", t.connects);
  counter("stream_disconnects_total", "WebSocket and Server-Sent Events connections closed (by either side), per path", "path", t.disconnects);
  counter(
    "stream_slow_consumer_closes_total",
    "Clients closed (code 1013) because they stopped reading and their send buffer passed the limit, per path",
    "path",
    t.slowCloses,
  );
  counter("stream_frames_published_total", "Event and log frames handed to this server's fan-out, per channel", "channel", t.published);
  counter(
    "stream_frames_delivered_total",
    "Frames queued to subscribers: each published frame counts once per subscriber of its topic",
    "channel",
    t.delivered,
  );
  counter(
    "stream_frames_replayed_total",
    "Frames sent from history to clients that resumed with ?since= (not counted in stream_frames_delivered_total)",
    "channel",
    t.replayed,
  );
  counter(
    "stream_bytes_sent_total",
    "Payload bytes of event/log frames queued to subscribers, live and replayed (excludes WebSocket framing and control frames)",
    "channel",
    t.bytes,
  );
  perChannelBy("stream_publish_requests_total", "HTTP publish requests answered, per channel and status code", "status", t.requests);
  perChannelBy(
    "stream_publish_frames_total",
    "WebSocket publish frames handled, per channel and outcome (ok, or the error frame's code)",
    "outcome",
    t.frames,
  );

  if (refusals) {
    scrapedCounter(registry, {
      name: "stream_refusals_total",
      help: "Requests, upgrades and clients turned away, by reason (unauthorized, forbidden, forbiddenOrigin, connectionLimit, rateLimited, slowConsumers, oversizeFrames, inboundLimit, invalidTokens, expiredTokens)",
      labelNames: ["reason"],
      samples: () => Object.entries(refusals).map(([reason, n]): Sample => [{ reason }, n]),
    });
  }

  const latency = registerHistogram(registry, {
    name: "stream_publish_fanout_seconds",
    help: "Time from the hub accepting a publish to its frames being handed to every subscriber's socket (millisecond resolution)",
    labelName: "channel",
    labelValues: CHANNELS,
    buckets: LATENCY_BUCKETS,
  });

  new Gauge({
    name: "stream_connections",
    help: "Open WebSocket and Server-Sent Events connections, per path",
    labelNames: ["path"],
    registers: [registry],
    collect() {
      for (const [path, n] of Object.entries(connections.byPath())) this.set({ path }, n);
    },
  });
  new Gauge({
    name: "stream_last_seq",
    help: "Last seq published on the channel",
    labelNames: ["channel"],
    registers: [registry],
    collect() {
      for (const channel of CHANNELS) this.set({ channel }, hub.position(channel).seq);
    },
  });
  new Gauge({
    name: "stream_history_entries",
    help: "Entries the channel's history holds (what a resuming client can still get back)",
    labelNames: ["channel"],
    registers: [registry],
    async collect() {
      for (const channel of CHANNELS) {
        // With --redis the history is in Redis; while it is unreachable the rest of /metrics still answers.
        const page = await hub.read(channel, Number.MAX_SAFE_INTEGER, 0).catch(() => undefined);
        if (page) this.set({ channel }, page.firstSeq > 0 ? page.position.seq - page.firstSeq + 1 : 0);
      }
    },
  });
  new Gauge({ name: "stream_info", help: "Always 1; the server's version as a label", labelNames: ["version"], registers: [registry] }).set(
    { version: VERSION },
    1,
  );
  registerProcessMetrics(registry);

  return {
    connected: (path) => add(t.connects, path),
    disconnected: (path) => add(t.disconnects, path),
    slowConsumerClosed: (path) => add(t.slowCloses, path),
    publishAnswered: (channel, status) => bump(t.requests.get(channel)!, status),
    publishFrameAnswered: (channel, outcome) => bump(t.frames.get(channel)!, outcome),
    fannedOut(channel, frames, acceptedAt) {
      add(t.published, channel, frames);
      // With --redis, acceptedAt comes from the instance that took the publish (its clock, via Redis).
      const seconds = (performance.timeOrigin + performance.now() - acceptedAt) / 1000;
      if (Number.isFinite(seconds)) latency.observe(channel, Math.max(0, seconds));
    },
    delivered(channel, subscribers, size) {
      add(t.delivered, channel, subscribers);
      add(t.bytes, channel, subscribers * size);
    },
    streamed(channel, frames, size) {
      add(t.delivered, channel, frames);
      add(t.bytes, channel, size);
    },
    replayed(channel, frames) {
      let n = 0;
      let size = 0;
      for (const frame of frames) {
        if (frame.seq === undefined) continue;
        n++;
        size += Buffer.byteLength(frame.text);
      }
      add(t.replayed, channel, n);
      add(t.bytes, channel, size);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** One value of a counter and the labels it is reported under. */
type Sample = [labels: Record<string, string>, value: number];

function bump<K>(tally: Map<K, number>, key: K, n = 1) {
  tally.set(key, (tally.get(key) ?? 0) + n);
}

/**
 * Counts per path or channel, as plain properties: `delivered` runs once per frame and topic, and a
 * Map's get and set there cost ~8 % of a 100-event publish (profile, bench `http`); a property add
 * costs next to nothing. The keys are known up front (one object shape); an unknown one is still counted.
 */
type Tally = Record<string, number>;

function tallyOf(keys: readonly string[]): Tally {
  return Object.fromEntries(keys.map((k) => [k, 0]));
}

function add(tally: Tally, key: string, n = 1) {
  tally[key] = (tally[key] ?? 0) + n;
}

/**
 * A counter whose values live elsewhere (a Tally or Map cheap to bump on the hot path, or another module's
 * counters) and are copied into prom-client when the registry is scraped. Keys at 0 are exported as 0.
 */
function scrapedCounter(
  registry: Registry,
  { name, help, labelNames, samples }: { name: string; help: string; labelNames: string[]; samples: () => Iterable<Sample> },
) {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of samples()) this.inc(labels, value);
    },
  });
}

/** Times each batch the fan-out delivers, from the hub's accept (`stream_publish_fanout_seconds`). */
export function timeFanout(fanout: Fanout, recorder: Recorder): void {
  for (const channel of CHANNELS) {
    fanout.listen(channel, (entries) => recorder.fannedOut(channel, entries.length, entries[0]!.time));
  }
}
