import type { Allowance } from "../access/inbound-budget.ts";
import type { Grant } from "../access/grant.ts";
import type { Publisher } from "../access/publisher.ts";
import type { SubscribeRequest } from "../hub/catchup.ts";
import type { Channel } from "../hub/channels.ts";

/** What the upgrade attaches to each socket. */
export interface SocketData {
  path: string;
  channel: Channel;
  remote: string;
  /** Filter and resume point, from the upgrade's query string. */
  subscription: SubscribeRequest;
  /** Stops a replay still in progress. */
  stop?: () => void;
  /** Sends more of a replay once Bun has flushed what was queued (set while one is in progress). */
  drain?: () => void;
  /** What the connection's credential allows, and until when: from the upgrade's token, or the last refresh frame's. */
  grant: Grant;
  /** Who publishes with this connection's frames: resolved from the same token. */
  publisher: Publisher;
  /** Closes the connection when its token expires (one timer per connection; re-armed by a refresh). */
  expiry?: ReturnType<typeof setTimeout>;
  /** Set once the connection limits let the socket in; only admitted sockets are counted. */
  admitted?: boolean;
  /** What the client may still send (--max-inbound-frames, --max-inbound-bytes); set when it opens. */
  inbound?: Allowance;
}
