import type { HelloFrame } from "./frames.ts";
import type { StreamRefusedError } from "./handshake.ts";

/** The connection's state, with a line to show a person (`live`, `reconnecting in 2.0 s (connection lost)`, `refused: 401 …`). */
export type ConnectionState =
  | { status: "connecting"; text: string }
  | { status: "live"; text: string; hello: HelloFrame }
  | { status: "reconnecting"; text: string; delayMs: number; reason: string }
  | { status: "refused"; text: string; error: StreamRefusedError }
  | { status: "closed"; text: string };

/** The state while waiting `delayMs` to reconnect after `reason`. */
export function reconnecting(delayMs: number, reason: string): ConnectionState {
  return { status: "reconnecting", delayMs, reason, text: `reconnecting in ${(delayMs / 1000).toFixed(1)} s (${reason})` };
}
