import type { Published } from "../broker.ts";
import type { Channel } from "../channels.ts";
import type { Draft } from "../envelope.ts";

/** Appends drafts to a channel's stream in one call: one outcome per draft, in order. */
export type Append = (channel: Channel, drafts: Draft[]) => Promise<Published[]>;

/** The publishes of one turn waiting for their append: their drafts, in order, and each caller's share. */
interface Group {
  drafts: Draft[];
  callers: Array<{ from: number; count: number; resolve: (outcomes: Published[]) => void; reject: (err: unknown) => void }>;
}

/**
 * Groups the publishes of one turn of the event loop into one append per channel, each caller answered
 * with its own drafts' outcomes. With Redis every append is a script call: a round trip, the client's
 * encoding, a Lua call and a wake-up of every instance's reader, ~50 µs of CPU across the two processes
 * for a single event (`bun bench/redis-path.ts`), while the drafts themselves cost little more each.
 * The same as appending the calls one after another: the script judges drafts in order, so a draft
 * repeating an id of an earlier caller's draft is its duplicate either way; a failure fails every caller,
 * as Redis being down would fail each. A group holds at most `maxDrafts` (one call's drafts are never split).
 */
export function groupAppends(append: Append, maxDrafts: number): Append {
  const groups = new Map<Channel, Group>();

  const flush = (channel: Channel, group: Group) => {
    if (groups.get(channel) === group) groups.delete(channel);
    append(channel, group.drafts).then(
      (outcomes) => {
        for (const c of group.callers) c.resolve(outcomes.slice(c.from, c.from + c.count));
      },
      (err: unknown) => {
        for (const c of group.callers) c.reject(err);
      },
    );
  };

  return function appendGrouped(channel, drafts) {
    if (drafts.length === 0) return Promise.resolve([]);
    let group = groups.get(channel);
    if (group && group.drafts.length + drafts.length > maxDrafts) {
      flush(channel, group);
      group = undefined;
    }
    if (!group) {
      const fresh: Group = { drafts: [], callers: [] };
      groups.set(channel, fresh);
      setImmediate(() => groups.get(channel) === fresh && flush(channel, fresh));
      group = fresh;
    }
    const answer = Promise.withResolvers<Published[]>();
    group.callers.push({ from: group.drafts.length, count: drafts.length, resolve: answer.resolve, reject: answer.reject });
    for (const d of drafts) group.drafts.push(d);
    return answer.promise;
  };
}
