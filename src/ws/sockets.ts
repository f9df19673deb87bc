import type { ServerWebSocket } from "bun";
import type { Channel } from "../hub/channels.ts";
import { GOING_AWAY, SERVICE_RESTART } from "../protocol/close-codes.ts";
import type { SocketData } from "./socket-data.ts";

/**
 * Every admitted WebSocket, in one place: nothing outside `ws/` holds a socket. Shutdown, a recreated
 * stream and the slow-consumer watchdog reach the sockets through it, and each way of closing them says
 * here, once, with which code and reason.
 */
export interface Sockets {
  /** The admitted sockets, for the watchdog's sweeps. */
  readonly all: ReadonlySet<ServerWebSocket<SocketData>>;
  /** Holds a socket the connection limits let in. */
  admit(ws: ServerWebSocket<SocketData>): void;
  /** Lets go of a closed socket. */
  release(ws: ServerWebSocket<SocketData>): void;
  /** Closes every socket with 1001 (the server shuts down); returns how many. */
  goingAway(): number;
  /**
   * Closes the subscribers of a channel whose stream was recreated (with --redis: Redis lost its data, so
   * the epoch changed and seqs start again at 1) with 1012, so that each reconnects and resumes and is told
   * by a `reset` what is gone, instead of silently seeing seqs go back to 1. Returns how many.
   */
  recreated(channel: Channel, epoch: string): number;
}

/** The reason every client sees when the server shuts down. */
const SHUTDOWN_REASON = "server shutting down; reconnect and resume from your last seq";

/** Creates an empty registry. */
export function createSockets(): Sockets {
  const all = new Set<ServerWebSocket<SocketData>>();
  const closeWhere = (keep: (ws: ServerWebSocket<SocketData>) => boolean, code: number, reason: string) => {
    let closed = 0;
    for (const ws of all) {
      if (!keep(ws)) continue;
      ws.close(code, reason);
      closed++;
    }
    return closed;
  };
  return {
    all,
    admit: (ws) => void all.add(ws),
    release: (ws) => void all.delete(ws),
    goingAway: () => closeWhere(() => true, GOING_AWAY, SHUTDOWN_REASON),
    recreated: (channel, epoch) =>
      closeWhere((ws) => ws.data.channel === channel, SERVICE_RESTART, `the ${channel} stream was recreated (epoch ${epoch}); reconnect and resume`),
  };
}
