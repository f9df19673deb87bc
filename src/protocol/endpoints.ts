import type { Channel } from "../hub/channels.ts";

/** A WebSocket path and the channel it carries. */
export interface WsEndpoint {
  path: string;
  channel: Channel;
  description: string;
}

/** The one table that maps WebSocket paths to channels. */
export const WS_ENDPOINTS: readonly WsEndpoint[] = [
  { path: "/ws", channel: "events", description: "live event stream" },
  { path: "/api/stream", channel: "events", description: "live event stream (same as /ws; compatibility path)" },
  { path: "/ws/logs", channel: "logs", description: "live log stream" },
];

const byPath = new Map(WS_ENDPOINTS.map((e) => [e.path, e]));

/** The endpoint at `path`, tolerating one trailing slash. */
export function endpointFor(path: string): WsEndpoint | undefined {
  return byPath.get(path) ?? (path.length > 1 && path.endsWith("/") ? byPath.get(path.slice(0, -1)) : undefined);
}

/** The WebSocket paths, for error messages and health. */
export const WS_PATHS = WS_ENDPOINTS.map((e) => e.path);
