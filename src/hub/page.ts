import type { Broker, StreamPosition } from "./broker.ts";
import type { Channel } from "./channels.ts";
import type { Entry } from "./envelope.ts";
import { isEverything, matches, type Filter } from "./filter.ts";

/** One page of filtered history, and where the next page starts. */
export interface Page {
  entries: Entry[];
  /** Pass as `since` to get the following page. */
  next: number;
  /** True when the history holds more matching entries after `next`. */
  more: boolean;
  /** Oldest seq the history holds (0 when empty). */
  firstSeq: number;
  position: StreamPosition;
  /** False when entries after `since` are gone from history (evicted before they were read). */
  complete: boolean;
}

/** Entries are scanned in chunks of at least this many, so a sparse filter does not mean many small reads. */
const CHUNK = 1000;

/** Reads up to `limit` entries after `since` that the filter lets through, oldest first. */
export async function readPage(broker: Pick<Broker, "read">, channel: Channel, filter: Filter, since: number, limit: number): Promise<Page> {
  const all = isEverything(filter);
  const entries: Entry[] = [];
  let cursor = since;
  let firstSeq: number | undefined;
  for (;;) {
    // One more than needed, so a full page knows whether more follow.
    const want = all ? limit - entries.length + 1 : Math.max(CHUNK, limit + 1);
    const chunk = await broker.read(channel, cursor, want);
    firstSeq ??= chunk.firstSeq;
    for (const entry of chunk.entries) {
      if (all || matches(filter, entry)) {
        if (entries.length === limit) return page(true, chunk.position);
        entries.push(entry);
      }
      cursor = entry.seq;
    }
    if (chunk.entries.length < want) return page(false, chunk.position);
  }

  function page(more: boolean, position: StreamPosition): Page {
    const first = firstSeq ?? 0;
    const complete = first === 0 ? since >= position.seq : since >= first - 1;
    return { entries, next: more ? entries[entries.length - 1]!.seq : Math.max(cursor, since), more, firstSeq: first, position, complete };
  }
}
