import type { Server } from "bun";
import type { Checkpoints } from "../hub/checkpoints.ts";
import type { Fanout } from "../hub/fanout.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { controlFrame } from "../protocol/frames.ts";
import type { SlowConsumerWatchdog } from "./slow-consumers.ts";
import type { SocketData } from "./socket-data.ts";

/**
 * Connects the hub's fan-out to Bun's native pub/sub, the server's one output to subscribed sockets: each
 * frame goes to a topic's sockets in one native call (no loop over sockets in JS), is counted once per
 * subscriber from Bun's subscriber count, and its size is handed to the slow-consumer watchdog, which
 * checks the queues every half limit of published bytes. Checkpoints go out the same way, to their
 * filter's topic; they are positions, not delivered frames, so the metrics do not count them.
 * Frames are compressed for the sockets that negotiated permessage-deflate (`--compression on`), by Bun,
 * once per such socket; the watchdog still counts uncompressed bytes, so it sweeps at least as often as
 * the queues (which hold compressed bytes) can grow.
 */
export function attachPubSub(fanout: Fanout, checkpoints: Checkpoints, server: Server<SocketData>, metrics: Recorder, watchdog: SlowConsumerWatchdog<SocketData>): void {
  fanout.attach({
    // Read before publishing: Bun's publish result reports bytes for one subscriber, not a count.
    subscribers: (topic) => server.subscriberCount(topic),
    publish(topic, frame, channel, subscribers) {
      server.publish(topic, frame, true);
      watchdog.published(frame.length);
      metrics.delivered(channel, subscribers, Buffer.byteLength(frame));
    },
  });
  checkpoints.attach({
    subscribers: (topic) => server.subscriberCount(topic),
    publish(topic, _channel, seq) {
      const frame = controlFrame({ kind: "checkpoint", seq });
      server.publish(topic, frame, true);
      watchdog.published(frame.length);
    },
  });
}
