import { CHANNELS, type Channel } from "./channels.ts";
import type { Broker, Deliver, Published, StreamPosition } from "./broker.ts";
import { sequence, type Draft, type Entry } from "./envelope.ts";
import { createMemoryStore } from "./history/memory.ts";
import type { MaybePromise } from "./maybe-promise.ts";
import type { HistoryStore, Retention } from "./history/store.ts";
import { BrokerUnavailableError } from "./unavailable.ts";
import { messageOf } from "../error-text.ts";

export interface LocalBrokerOptions extends Partial<Retention> {
  deliver: Deliver;
  /** Where history is kept; in memory (sized by the retention options) when absent. */
  store?: HistoryStore;
  /**
   * Group commit: publishes made in the same turn of the event loop are stored in one transaction at the end
   * of the turn, each answered once it is stored. For a store whose writes cost a sync to disk (--data).
   */
  groupCommit?: boolean;
}

/** Publishes waiting for the end of the turn: their entries, and each publisher's answer. */
interface Group {
  entries: Entry[];
  /** The group's entries by id: a publish in the same turn must see them as already held. */
  ids: Map<string, Entry>;
  waiters: Array<{ outcomes: Published[]; resolve: (outcomes: Published[]) => void; reject: (err: unknown) => void }>;
}

/**
 * The single-process broker: seqs assigned here, history in its store (memory or SQLite), delivery straight
 * back to local fan-out. Storing and delivering is one synchronous step per channel (per publish, or per
 * group with group commit), so nothing is delivered that is not stored, and no resume can slip in between.
 */
export function createLocalBroker({ deliver, store: given, historySize = 10_000, historyMaxAgeMs, groupCommit = false }: LocalBrokerOptions): Broker {
  const store = given ?? createMemoryStore({ historySize, historyMaxAgeMs });
  /** What is stored and delivered. */
  const positions = new Map<Channel, StreamPosition>(CHANNELS.map((c) => [c, store.load(c)]));
  /** The last seq handed out (ahead of the stored one while a group waits). */
  const assigned = new Map<Channel, number>(CHANNELS.map((c) => [c, positions.get(c)!.seq]));
  const groups = new Map<Channel, Group>();
  const position = (channel: Channel) => positions.get(channel)!;
  let failure: string | undefined;

  /** Stores then delivers; on failure nothing is delivered and the seqs are handed out again. */
  const commit = (channel: Channel, entries: Entry[]) => {
    if (entries.length === 0) return; // every draft was a duplicate
    const p = position(channel);
    try {
      store.append(channel, entries);
      failure = undefined;
    } catch (err) {
      failure = `could not store history: ${messageOf(err)}`;
      assigned.set(channel, p.seq);
      throw new BrokerUnavailableError(`${failure}; nothing was published`);
    }
    p.seq = entries[entries.length - 1]!.seq;
    deliver(channel, entries);
  };

  const flush = (channel: Channel) => {
    const group = groups.get(channel);
    if (!group) return; // close() got there first
    groups.delete(channel);
    try {
      commit(channel, group.entries);
    } catch (err) {
      for (const w of group.waiters) w.reject(err);
      return;
    }
    for (const w of group.waiters) w.resolve(w.outcomes);
  };

  /**
   * Sequences the drafts after `first - 1`, each judged in order: one whose id is held (stored, waiting in
   * `pending`, or earlier in this call) becomes a duplicate of that entry. Only ids a publisher chose are
   * looked up or kept in `pending`: an id the server just generated cannot be held, nor sent again before
   * its publish is answered.
   */
  const judge = (channel: Channel, drafts: Draft[], first: number, pending: Map<string, Entry> | undefined) => {
    const fresh: Entry[] = [];
    // Apart from `fresh` only once a duplicate turns up: the common publish allocates one array, as before.
    let outcomes: Published[] | undefined;
    try {
      for (let i = 0; i < drafts.length; i++) {
        const draft = drafts[i]!;
        const held = draft.id !== undefined ? (pending?.get(draft.id) ?? store.byId(channel, draft.id, draft.time)) : undefined;
        if (held) {
          outcomes ??= fresh.slice();
          outcomes.push({ ...held, duplicate: true });
          continue;
        }
        const entry = sequence(draft, first + fresh.length);
        fresh.push(entry);
        outcomes?.push(entry);
        if (draft.id !== undefined) pending?.set(draft.id, entry);
      }
    } catch (err) {
      // The store failed a lookup: nothing of this call is stored, so its ids must not stay in `pending`,
      // where a later publish would be answered as a duplicate of an entry that never was (its seq reused).
      // Each was fresh, so none was there before this call.
      if (pending) for (const entry of fresh) if (entry.id !== undefined) pending.delete(entry.id);
      // A store that cannot be read is unavailable, as one that cannot be written: 503 and health say so.
      failure = `could not read history to look up ids: ${messageOf(err)}`;
      throw new BrokerUnavailableError(`${failure}; nothing was published`);
    }
    return { fresh, outcomes: outcomes ?? fresh };
  };
  /** The `pending` of a publish without group commit: this call's own ids, cleared once it is stored. */
  const scratch = new Map<string, Entry>();

  /** Publishes without a turn of the event loop when nothing waits for a group: the outcomes themselves. */
  const publishNow = (channel: Channel, drafts: Draft[]): MaybePromise<Published[]> => {
    if (drafts.length === 0) return [];
    const first = assigned.get(channel)! + 1;
    if (!groupCommit) {
      // A lone draft has no earlier one to repeat: no map to fill (most publishes are single events).
      const { fresh, outcomes } = judge(channel, drafts, first, drafts.length > 1 ? scratch : undefined);
      if (scratch.size > 0) scratch.clear();
      if (fresh.length === 0) return outcomes;
      assigned.set(channel, first + fresh.length - 1);
      commit(channel, fresh);
      return outcomes;
    }
    let group = groups.get(channel);
    if (!group) {
      group = { entries: [], ids: new Map(), waiters: [] };
      groups.set(channel, group);
      setImmediate(flush, channel);
    }
    const { fresh, outcomes } = judge(channel, drafts, first, group.ids);
    assigned.set(channel, first + fresh.length - 1);
    for (const entry of fresh) group.entries.push(entry);
    // Duplicates answer with the group too: the entry they name may still be waiting to be stored.
    const answer = Promise.withResolvers<Published[]>();
    group.waiters.push({ outcomes, resolve: answer.resolve, reject: answer.reject });
    return answer.promise;
  };

  return {
    publish(channel, drafts) {
      // A failure is a rejection, never a throw, whether the outcomes came at once or not.
      try {
        return publishNow(channel, drafts);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    async read(channel, since, limit) {
      const { entries, firstSeq } = store.read(channel, since, limit, Date.now());
      return { entries, firstSeq, position: { ...position(channel) } };
    },
    async seek(channel, time) {
      const p = { ...position(channel) };
      const { seq, firstSeq, keptSince } = store.seek(channel, time, Date.now());
      return { seq: seq ?? p.seq + 1, firstSeq, keptSince, position: p };
    },
    async byId(channel, id) {
      return store.byId(channel, id, Date.now()); // stored entries only: one waiting for its group may yet fail
    },
    position: (channel) => ({ ...position(channel) }),
    async close() {
      for (const channel of [...groups.keys()]) flush(channel);
      store.close();
    },
    health: () => (failure === undefined ? { ok: true } : { ok: false, reason: failure }),
    ready: async () => {},
  };
}
