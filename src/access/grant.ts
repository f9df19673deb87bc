import type { Channel } from "../hub/channels.ts";
import { covers, eventFilter, everything, intersect, isEverything, logFilter, type Filter } from "../hub/filter.ts";
import type { StreamPermissions } from "../protocol/permissions.ts";
import { problem, type Problem } from "../protocol/problem.ts";

/**
 * What a credential allows, once it is verified: per channel, a filter of what it may read and one of
 * what it may publish (absent: nothing). A static token or an open server grants everything; a JSON Web
 * Token what its `stream` claim lists, until its `exp`. Plain data: the upgrade resolves it once per
 * connection, and a subscription is narrowed with it once, so no frame is ever checked against it.
 */
export interface Grant {
  /** The token's subject, for logs and the publish rate; absent for static tokens and open servers. */
  sub?: string;
  /** When the credential stops being valid (ms since the Unix epoch); absent: never. */
  expiresAt?: number;
  read: Partial<Record<Channel, Filter>>;
  write: Partial<Record<Channel, Filter>>;
  /** A JSON Web Token's permissions claim as read (echoed in a `refreshed` frame); absent for static tokens. */
  permissions?: StreamPermissions;
}

/**
 * The longest delay a timer takes (about 24.8 days): a longer one fires at once, so a connection whose
 * token expires later arms a timer of this length and re-arms it when it fires early.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Everything on both channels, for ever: a static token, or no token configured. */
export const EVERYTHING: Grant = {
  read: { events: everything("events"), logs: everything("logs") },
  write: { events: everything("events"), logs: everything("logs") },
};

/** The grant of a verified token's permissions claim (absent: nothing at all). */
export function grantOf(permissions: StreamPermissions | undefined, sub: string | undefined, expiresAt: number | undefined): Grant {
  const read: Grant["read"] = {};
  const write: Grant["write"] = {};
  const sub_ = permissions?.subscribe;
  if (sub_?.events && sub_.events.length > 0) read.events = eventFilter(sub_.events);
  if (sub_?.logs) read.logs = logFilter(sub_.logs.level, sub_.logs.sources);
  if (permissions?.publish?.events && permissions.publish.events.length > 0) write.events = eventFilter(permissions.publish.events);
  if (permissions?.publish?.logs) write.logs = everything("logs");
  return { ...(sub !== undefined ? { sub } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}), read, write, permissions: permissions ?? {} };
}

/** Who holds a grant, for messages: "the token of alice". */
export function holder(grant: Grant): string {
  return grant.sub !== undefined ? `the token of ${JSON.stringify(grant.sub)}` : "the token";
}

/**
 * The subscription a grant lets `wanted` have: what it asked for and what the grant allows. More than
 * allowed is narrowed silently (`types=*` with `order.*` allowed gets `order.*`); a request that keeps
 * nothing (another channel, or types it may not read at all) is refused with 403 naming what it may read.
 */
export function narrow(grant: Grant, channel: Channel, wanted: Filter): Filter | Problem<"forbidden"> {
  const allowed = grant.read[channel];
  const kept = allowed && intersect(wanted, allowed);
  if (kept) return kept;
  return problem(
    "forbidden",
    allowed
      ? `${holder(grant)} may read ${describe(allowed)} on ${channel}, none of what this subscription asks for (${describe(wanted)}); ask for those, or get a token that allows more`
      : `${holder(grant)} may not read the ${channel} channel; get a token whose stream.subscribe lists ${channel}`,
  );
}

/** Whether a grant lets a connection keep its subscription (a refreshed token must). */
export function allowsSubscription(grant: Grant, channel: Channel, filter: Filter): boolean {
  const allowed = grant.read[channel];
  return allowed !== undefined && covers(allowed, filter);
}

/** A filter in the words of the query string: `order.*, strategy.started`, `warn and above from risk`. */
export function describe(filter: Filter): string {
  if (isEverything(filter)) return filter.channel === "events" ? "every type" : "every log line";
  if (filter.channel === "events") return filter.all ? "every type" : [...filter.exact, ...filter.prefixes.map((p) => `${p}*`)].join(", ");
  return `${filter.levels[0]} and above${filter.sources ? ` from ${filter.sources.join(", ")}` : ""}`;
}
