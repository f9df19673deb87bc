import { CHANNELS, type Channel } from "./channels.ts";
import { newEpoch, type Broker, type Deliver } from "./broker.ts";
import { sequence, type Entry } from "./envelope.ts";
import { createHistory, type History } from "./history.ts";

export interface MemoryBrokerOptions {
  /** Entries kept per channel. */
  historySize: number;
  /** Entries older than this are dropped from history (ms); unset keeps them until evicted by size. */
  historyMaxAgeMs?: number;
  deliver: Deliver;
}

/** The single-process broker: seqs and history in memory, delivery straight back to local fan-out. */
export function createMemoryBroker({ historySize, historyMaxAgeMs, deliver }: MemoryBrokerOptions): Broker {
  const streams = new Map<Channel, { epoch: string; seq: number; history: History }>();
  for (const channel of CHANNELS) {
    streams.set(channel, { epoch: newEpoch(), seq: 0, history: createHistory(historySize, historyMaxAgeMs) });
  }
  const stream = (channel: Channel) => streams.get(channel)!;

  return {
    async publish(channel, drafts) {
      const s = stream(channel);
      const entries: Entry[] = new Array(drafts.length);
      for (let i = 0; i < drafts.length; i++) {
        const entry = sequence(drafts[i]!, ++s.seq);
        s.history.append(entry);
        entries[i] = entry;
      }
      deliver(channel, entries);
      return entries;
    },
    async read(channel, since, limit) {
      const s = stream(channel);
      s.history.expire(Date.now());
      return {
        entries: s.history.after(since, limit),
        firstSeq: s.history.firstSeq() ?? 0,
        position: { epoch: s.epoch, seq: s.seq },
      };
    },
    position(channel) {
      const s = stream(channel);
      return { epoch: s.epoch, seq: s.seq };
    },
    async close() {},
  };
}
