import type { SubscribeRequest } from "../hub/catchup.ts";
import { checkpointCursor, checkpointDue, type CheckpointCursor } from "../hub/checkpoint-cursor.ts";
import type { Checkpoints } from "../hub/checkpoints.ts";
import { isEverything } from "../hub/filter.ts";
import type { Hub } from "../hub/hub.ts";
import type { Logger } from "../log/logger.ts";
import type { Recorder } from "../metrics/metrics.ts";
import { controlFrame } from "../protocol/frames.ts";
import { openingFrames, type OutFrame } from "../protocol/opening.ts";
import { createOutbox, type Outbox } from "../hub/outbox.ts";
import type { Connections } from "../access/connections.ts";
import { MAX_TIMER_MS } from "../access/grant.ts";

export interface EventStreamOptions {
  hub: Hub;
  checkpoints: Checkpoints;
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
  /** When the stream's token expires (ms since the Unix epoch): the stream ends then, with a comment saying so. */
  expiresAt?: number;
  /** The token's sub, for the log lines. */
  sub?: string;
}

/** One SSE message: `id: <seq>` on data frames (so `Last-Event-ID` resumes), the frame as `data:`. */
function message(frame: OutFrame): string {
  return frame.seq === undefined ? `data: ${frame.text}\n\n` : `id: ${frame.seq}\ndata: ${frame.text}\n\n`;
}

/**
 * A Server-Sent Events response carrying the same frames as the WebSocket paths: hello, replay when resuming,
 * then live frames. SSE needs every frame in JS, so the stream listens on the hub's fan-out for its channel
 * (one listener per SSE client, never a loop over WebSocket clients), filtered in JS; a comment line every
 * `heartbeatMs` keeps proxies from closing an idle stream. A replay is handed to Bun as it pulls (as the
 * socket accepts), half of `maxBufferedBytes` at a time, with live frames queued behind it: a client
 * reading at any steady speed gets all of it; one whose queued live frames pass the limit is dropped.
 * A filtered stream also gets `checkpoint` frames with an `id:` (so `Last-Event-ID` keeps up with the
 * channel), decided at the checkpoint ticks from its own last id, never while a replay is still queued.
 */
export function eventStream(options: EventStreamOptions): Response {
  const { hub, checkpoints, logger, connections, metrics, request, path, remote, heartbeatMs, maxBufferedBytes, signal, closing, onEnd, expiresAt, sub } = options;
  const encoder = new TextEncoder();
  const window = Math.max(1, Math.floor(maxBufferedBytes / 2));
  let cleanup = () => {};
  let pump = () => {};
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        /** While a replay is being sent: what is left of it, and the live frames queued behind it. */
        let outbox: Outbox<string> | undefined;
        /** Filtered streams only, once started: the last id given, and the last match. */
        let cursor: CheckpointCursor | undefined;
        let matched = 0;
        const filtered = checkpoints.enabled && !isEverything(request.filter);
        const unread = () => -(controller.desiredSize ?? 0);
        const tooSlow = (behind: number) => {
          logger.warn("Server-Sent Events client too slow: closing its stream", { path, remote, unreadBytes: behind });
          controller.enqueue(encoder.encode(`: closing: you read too slowly; reconnect with Last-Event-ID to resume\n\n`));
          controller.close();
          cleanup();
        };
        const write = (text: string) => {
          if (!open) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            return cleanup();
          }
          if (unread() > maxBufferedBytes) tooSlow(unread());
        };
        // Bun pulls as the socket accepts: a replay goes out as fast as the client reads, never all at once.
        pump = () => {
          if (!open || !outbox) return;
          const done = outbox.flush((text) => {
            controller.enqueue(encoder.encode(text));
            return unread() < window;
          });
          if (done) outbox = undefined;
        };
        const stop = hub.subscribe(request, {
          start(position, resumed) {
            if (filtered) cursor = checkpointCursor(position.seq);
            const frames = openingFrames(request.channel, path, position, resumed, request.resume?.since);
            if (!resumed) return write(message(frames[0]!));
            outbox = createOutbox(frames.map(message), (text) => text.length);
            pump();
            metrics.replayed(request.channel, frames);
          },
          live(entries) {
            matched = entries[entries.length - 1]!.seq;
            let text = "";
            for (const entry of entries) text += `id: ${entry.seq}\ndata: ${entry.frame}\n\n`;
            metrics.streamed(request.channel, entries.length, Buffer.byteLength(text));
            if (!outbox) return write(text);
            const behind = outbox.push([text]);
            if (behind > maxBufferedBytes && open) tooSlow(behind);
          },
          fail(error) {
            logger.error("could not read history for a Server-Sent Events client; closing its stream", { path, remote, error });
            write(message({ text: controlFrame({ kind: "error", code: "unavailable", message: "could not read history; reconnect to retry" }) }));
            controller.close();
            cleanup();
          },
        });
        const unlistenTicks = filtered
          ? checkpoints.listen(request.channel, (head) => {
            if (!open || outbox || !cursor) return;
            const seq = checkpointDue(cursor, head, matched);
            if (seq !== undefined) write(message({ text: controlFrame({ kind: "checkpoint", seq }), seq }));
          })
          : () => {};
        const heartbeat = setInterval(() => write(": heartbeat\n\n"), heartbeatMs);
        const total = connections.opened(path);
        metrics.connected(path);
        logger.info("Server-Sent Events client connected", { path, remote, sub, connections: total, since: request.resume?.since });
        const shutDown = () => {
          write(": server shutting down; reconnect with Last-Event-ID to resume\n\n");
          controller.close();
          cleanup();
        };
        // One timer per stream, not a check per frame: the token was verified when the stream opened.
        // A token valid for longer than a timer can wait re-arms it when it fires early.
        let expiry: ReturnType<typeof setTimeout> | undefined;
        const armExpiry = (at: number) => {
          expiry = setTimeout(() => {
            if (Date.now() < at) return armExpiry(at);
            logger.info("Server-Sent Events stream ended: its token expired", { path, remote, sub });
            write(": token expired; reconnect with a fresh token (Last-Event-ID resumes)\n\n");
            controller.close();
            cleanup();
          }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
        };
        if (expiresAt !== undefined) armExpiry(expiresAt);
        cleanup = () => {
          if (!open) return;
          open = false;
          clearTimeout(expiry);
          closing?.removeEventListener("abort", shutDown);
          onEnd?.();
          stop();
          unlistenTicks();
          clearInterval(heartbeat);
          signal.removeEventListener("abort", cleanup);
          const left = connections.closed(path);
          metrics.disconnected(path);
          logger.info("Server-Sent Events client disconnected", { path, remote, sub, connections: left });
        };
        signal.addEventListener("abort", cleanup);
        if (closing?.aborted) shutDown();
        else closing?.addEventListener("abort", shutDown, { once: true });
      },
      pull() {
        pump();
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
