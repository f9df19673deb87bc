import { CHANNELS, type Channel } from "./channels.ts";
import type { Broker, Deliver, StreamPosition } from "./broker.ts";
import { sequence, type Entry } from "./envelope.ts";
import { createMemoryStore, type HistoryStore, type Retention } from "./history-store.ts";
import { BrokerUnavailableError } from "./unavailable.ts";

export interface MemoryBrokerOptions extends Partial<Retention> {
  deliver: Deliver;
  /** Where history is kept; in memory (sized by the retention options) when absent. */
  store?: HistoryStore;
}

/**
 * The single-process broker: seqs assigned here, history in its store (memory or SQLite), delivery straight
 * back to local fan-out. Publish is synchronous inside, so storing and delivering is one step per channel.
 */
export function createMemoryBroker({ deliver, store: given, historySize = 10_000, historyMaxAgeMs }: MemoryBrokerOptions): Broker {
  const store = given ?? createMemoryStore({ historySize, historyMaxAgeMs });
  const positions = new Map<Channel, StreamPosition>(CHANNELS.map((c) => [c, store.load(c)]));
  const position = (channel: Channel) => positions.get(channel)!;
  let failure: string | undefined;

  return {
    async publish(channel, drafts) {
      const p = position(channel);
      const entries: Entry[] = new Array(drafts.length);
      for (let i = 0; i < drafts.length; i++) entries[i] = sequence(drafts[i]!, p.seq + i + 1);
      // Stored first: if the store fails (disk full), nothing was delivered and the seq is not used up.
      try {
        store.append(channel, entries);
        failure = undefined;
      } catch (err) {
        failure = `could not store history: ${err instanceof Error ? err.message : String(err)}`;
        throw new BrokerUnavailableError(`${failure}; nothing was published`);
      }
      p.seq += entries.length;
      deliver(channel, entries);
      return entries;
    },
    async read(channel, since, limit) {
      const { entries, firstSeq } = store.read(channel, since, limit, Date.now());
      return { entries, firstSeq, position: { ...position(channel) } };
    },
    position: (channel) => ({ ...position(channel) }),
    async close() {
      store.close();
    },
    health: () => (failure === undefined ? { ok: true } : { ok: false, reason: failure }),
    ready: async () => {},
  };
}
