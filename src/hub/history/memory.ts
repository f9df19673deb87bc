import { newEpoch, type StreamPosition } from "../broker.ts";
import { CHANNELS, type Channel } from "../channels.ts";
import type { Entry } from "../envelope.ts";
import { createRing, type Ring } from "./ring.ts";
import type { HistoryStore, Retention } from "./store.ts";

/** One channel's stream: its position, its ring, and the ring's entries by id (no entry the ring dropped). */
interface Stream {
  position: StreamPosition;
  history: Ring;
  ids: Map<string, Entry>;
}

/** The in-memory store: one ring per channel; lost when the process ends (a new epoch tells clients so). */
export function createMemoryStore({ historySize, historyMaxAgeMs }: Retention): HistoryStore {
  const streams = new Map<Channel, Stream>();
  for (const channel of CHANNELS) {
    const ids = new Map<string, Entry>();
    // The index forgets an id when the ring drops its entry: it never outgrows the history.
    const forget = (entry: Entry) => {
      if (entry.id !== undefined && ids.get(entry.id) === entry) ids.delete(entry.id);
    };
    streams.set(channel, { position: { epoch: newEpoch(), seq: 0 }, history: createRing(historySize, historyMaxAgeMs, forget), ids });
  }
  const stream = (channel: Channel) => streams.get(channel)!;
  return {
    load: (channel) => ({ ...stream(channel).position }),
    append(channel, entries) {
      const s = stream(channel);
      for (const entry of entries) {
        s.history.append(entry);
        if (entry.id !== undefined) s.ids.set(entry.id, entry);
      }
      if (entries.length > 0) s.position.seq = entries[entries.length - 1]!.seq;
    },
    read(channel, since, limit, now) {
      const { history } = stream(channel);
      history.expire(now);
      return { entries: history.after(since, limit), firstSeq: history.firstSeq() ?? 0 };
    },
    byId(channel, id, now) {
      const s = stream(channel);
      s.history.expire(now);
      return s.ids.get(id);
    },
    close() {},
  };
}
