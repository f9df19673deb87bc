import { newEpoch, type StreamPosition } from "../broker.ts";
import { CHANNELS, type Channel } from "../channels.ts";
import { createRing, type Ring } from "./ring.ts";
import type { HistoryStore, Retention } from "./store.ts";

/** The in-memory store: one ring per channel; lost when the process ends (a new epoch tells clients so). */
export function createMemoryStore({ historySize, historyMaxAgeMs }: Retention): HistoryStore {
  const streams = new Map<Channel, { position: StreamPosition; history: Ring }>();
  for (const channel of CHANNELS) {
    streams.set(channel, { position: { epoch: newEpoch(), seq: 0 }, history: createRing(historySize, historyMaxAgeMs) });
  }
  const stream = (channel: Channel) => streams.get(channel)!;
  return {
    load: (channel) => ({ ...stream(channel).position }),
    append(channel, entries) {
      const s = stream(channel);
      for (const entry of entries) s.history.append(entry);
      if (entries.length > 0) s.position.seq = entries[entries.length - 1]!.seq;
    },
    read(channel, since, limit, now) {
      const { history } = stream(channel);
      history.expire(now);
      return { entries: history.after(since, limit), firstSeq: history.firstSeq() ?? 0 };
    },
    seek(channel, time, now) {
      const { history } = stream(channel);
      history.expire(now);
      return { seq: history.firstAt(time), firstSeq: history.firstSeq() ?? 0, keptSince: historyMaxAgeMs === undefined ? 0 : now - historyMaxAgeMs };
    },
    close() {},
  };
}
