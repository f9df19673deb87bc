import type { SubscribeRequest } from "../hub/catchup.ts";
import type { Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { controlFrame } from "../protocol/frames.ts";
import { openingFrames, type OutFrame } from "../protocol/opening.ts";
import type { Connections } from "../ws/connections.ts";

export interface EventStreamOptions {
  hub: Hub;
  logger: Logger;
  connections: Connections;
  metrics: Recorder;
  request: SubscribeRequest;
  /** The path the client asked for (hello names it; connections are counted under it). */
  path: string;
  remote: string;
  heartbeatMs: number;
  /** A client that lets more than this much output pile up unread is dropped (--max-buffered-bytes, as for WebSocket). */
  maxBufferedBytes: number;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Aborts when the server shuts down: the stream ends with a comment saying to reconnect. */
  closing?: AbortSignal;
  /** Called once when the stream ends, for whatever reason (connection limits count it until then). */
  onEnd?: () => void;
}

/** One SSE message: `id: <seq>` on data frames (so `Last-Event-ID` resumes), the frame as `data:`. */
function message(frame: OutFrame): string {
  return frame.seq === undefined ? `data: ${frame.text}\n\n` : `id: ${frame.seq}\ndata: ${frame.text}\n\n`;
}

/**
 * A Server-Sent Events response carrying the same frames as the WebSocket paths: hello, replay when resuming,
 * then live frames. SSE needs every frame in JS, so the stream listens on the hub's fan-out for its channel
 * (one listener per SSE client, never a loop over WebSocket clients), filtered in JS; a comment line every
 * `heartbeatMs` keeps proxies from closing an idle stream.
 */
export function eventStream({ hub, logger, connections, metrics, request, path, remote, heartbeatMs, maxBufferedBytes, signal, closing, onEnd }: EventStreamOptions): Response {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        const write = (text: string) => {
          if (!open) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            return cleanup();
          }
          if ((controller.desiredSize ?? 0) < -maxBufferedBytes) {
            logger.warn("Server-Sent Events client too slow: closing its stream", { path, remote, unreadBytes: -(controller.desiredSize ?? 0) });
            controller.enqueue(encoder.encode(`: closing: you read too slowly; reconnect with Last-Event-ID to resume\n\n`));
            controller.close();
            cleanup();
          }
        };
        const stop = hub.subscribe(request, {
          start(position, resumed) {
            const frames = openingFrames(request.channel, path, position, resumed, request.resume?.since);
            write(frames.map(message).join(""));
            if (resumed) metrics.replayed(request.channel, frames);
          },
          live(entries) {
            let text = "";
            for (const entry of entries) text += `id: ${entry.seq}\ndata: ${entry.frame}\n\n`;
            write(text);
            metrics.streamed(request.channel, entries.length, Buffer.byteLength(text));
          },
          fail(error) {
            logger.error("could not read history for a Server-Sent Events client; closing its stream", { path, remote, error });
            write(message({ text: controlFrame({ kind: "error", code: "unavailable", message: "could not read history; reconnect to retry" }) }));
            controller.close();
            cleanup();
          },
        });
        const heartbeat = setInterval(() => write(": heartbeat\n\n"), heartbeatMs);
        const total = connections.opened(path);
        metrics.connected(path);
        logger.info("Server-Sent Events client connected", { path, remote, connections: total, since: request.resume?.since });
        const shutDown = () => {
          write(": server shutting down; reconnect with Last-Event-ID to resume\n\n");
          controller.close();
          cleanup();
        };
        cleanup = () => {
          if (!open) return;
          open = false;
          closing?.removeEventListener("abort", shutDown);
          onEnd?.();
          stop();
          clearInterval(heartbeat);
          signal.removeEventListener("abort", cleanup);
          const left = connections.closed(path);
          metrics.disconnected(path);
          logger.info("Server-Sent Events client disconnected", { path, remote, connections: left });
        };
        signal.addEventListener("abort", cleanup);
        if (closing?.aborted) shutDown();
        else closing?.addEventListener("abort", shutDown, { once: true });
      },
      cancel() {
        cleanup();
      },
    },
    { highWaterMark: 0, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      // nginx buffers responses unless told otherwise, which would hold frames back.
      "x-accel-buffering": "no",
    },
  });
}
