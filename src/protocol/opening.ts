import type { StreamPosition } from "../hub/broker.ts";
import type { Channel } from "../hub/channels.ts";
import type { Resumed } from "../hub/resume.ts";
import { VERSION } from "../version.ts";
import { controlFrame } from "./frames.ts";

/** One frame to send, with its seq when it is a data frame (SSE uses it as the event id). */
export interface OutFrame {
  text: string;
  seq?: number;
}

/**
 * What a subscriber receives before live frames, the same over WebSocket and SSE: `hello`, then — when
 * resuming — the replayed frames, with a `reset` wherever something is missing.
 */
export function openingFrames(channel: Channel, path: string, position: StreamPosition, resumed: Resumed | undefined, asked?: number): OutFrame[] {
  const { epoch, seq } = position;
  // A replay by time has no `since` of the client's: the one it was turned into stands in.
  const since = asked ?? resumed?.since;
  const from = resumed?.sinceTime === undefined ? {} : { since_time: new Date(resumed.sinceTime).toISOString() };
  const hello = controlFrame({
    kind: "hello", channel, path, epoch, seq, version: VERSION,
    ...(resumed && since !== undefined ? { resume: { since, ...from, complete: resumed.complete } } : {}),
  });
  const out: OutFrame[] = [{ text: hello }];
  for (const item of resumed?.items ?? []) {
    if ("entry" in item) out.push({ text: item.entry.frame, seq: item.entry.seq });
    else {
      const { reason, message, next, lost } = item.gap;
      out.push({ text: controlFrame({ kind: "reset", reason, message, epoch, since: since ?? 0, next, ...(lost ? { lost } : {}) }) });
    }
  }
  return out;
}
