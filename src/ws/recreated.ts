import type { ServerWebSocket } from "bun";
import type { Channel } from "../hub/channels.ts";
import { SERVICE_RESTART } from "../protocol/close-codes.ts";
import type { SocketData } from "./socket-data.ts";

/**
 * A channel's stream was recreated (with --redis: Redis lost its data, so the epoch changed and seqs start
 * again at 1). Connected subscribers are closed so that each reconnects and resumes — and is told by a
 * `reset` what is gone — instead of silently seeing seqs go back to 1 (a client that skips seqs it has
 * already seen would drop every new event).
 */
export function closeRecreated(sockets: Iterable<ServerWebSocket<SocketData>>, channel: Channel, epoch: string): number {
  let closed = 0;
  for (const ws of sockets) {
    if (ws.data.channel !== channel) continue;
    ws.close(SERVICE_RESTART, `the ${channel} stream was recreated (epoch ${epoch}); reconnect and resume`);
    closed++;
  }
  return closed;
}
