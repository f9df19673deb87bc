// stream-server's client: one dependency-free ES module (standard WebSocket and fetch) for browsers,
// Bun, Node ≥ 22 and Deno. Served by the server at /client.js; see docs/clients.md.
export { subscribe, type SubscribeOptions, type Subscription, type SocketLike, type Timers } from "./subscription.ts";
export { StreamRefusedError } from "./handshake.ts";
export { PublishError } from "./publishing.ts";
export { backoffDelay, type Backoff } from "./backoff.ts";
export type { ConnectionState } from "./state.ts";
export type { StreamAddress, Start } from "./address.ts";
export type * from "./frames.ts";
