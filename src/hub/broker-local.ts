import { CHANNELS, type Channel } from "./channels.ts";
import type { Broker, Deliver, StreamPosition } from "./broker.ts";
import { sequence, type Entry } from "./envelope.ts";
import { createMemoryStore } from "./history/memory.ts";
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
  waiters: Array<{ entries: Entry[]; resolve: (entries: Entry[]) => void; reject: (err: unknown) => void }>;
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
    for (const w of group.waiters) w.resolve(w.entries);
  };

  return {
    async publish(channel, drafts) {
      if (drafts.length === 0) return [];
      const first = assigned.get(channel)! + 1;
      const entries: Entry[] = new Array(drafts.length);
      for (let i = 0; i < drafts.length; i++) entries[i] = sequence(drafts[i]!, first + i);
      assigned.set(channel, first + drafts.length - 1);
      if (!groupCommit) {
        commit(channel, entries);
        return entries;
      }
      let group = groups.get(channel);
      if (!group) {
        group = { entries: [], waiters: [] };
        groups.set(channel, group);
        setImmediate(flush, channel);
      }
      for (const entry of entries) group.entries.push(entry);
      const answer = Promise.withResolvers<Entry[]>();
      group.waiters.push({ entries, resolve: answer.resolve, reject: answer.reject });
      return answer.promise;
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
    position: (channel) => ({ ...position(channel) }),
    async close() {
      for (const channel of [...groups.keys()]) flush(channel);
      store.close();
    },
    health: () => (failure === undefined ? { ok: true } : { ok: false, reason: failure }),
    ready: async () => {},
  };
}
