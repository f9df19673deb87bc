import { StreamRefusedError, subscribe, type Item, type Position } from "../client/index.ts";
import { DEFAULT_URL, parseCommandLine, say, UsageError, wholeNumber } from "./args.ts";
import { createCursorFile, readCursor } from "./cursor-file.ts";
import { execFor } from "./exec.ts";
import { writeNow } from "./output.ts";
import { createLineFormat, helloLine, isData, resetLine } from "./tail-format.ts";

const NAME = "stream-server tail";

export const TAIL_HELP = `Usage: stream-server tail [URL] [options]

Follows a stream and prints one line per frame; reconnects and resumes by itself, so nothing is
missed while the server restarts. URL defaults to $STREAM_URL or ${DEFAULT_URL}.

  --logs               the log stream (/ws/logs) instead of events (/ws)
  --types T            event types: order.filled,strategy.* (events only)
  --level L            lowest log level: debug, info, warn, error (logs only)
  --source S           log sources, comma-separated (logs only)
  --since N            start after seq N (default: from now on)
  --since-time T       start at a time: -15m, -2h, -7d or 2026-12-03T10:00:00Z
  --json               NDJSON, one frame per line (the default when stdout is not a terminal)
  --cursor-file F      start from the position saved in F and save it after each frame (write + rename):
                       killed at any moment and run again, it skips nothing; only the line being
                       printed at the kill can be printed again (dedupe by seq if that matters).
                       F wins over --since and --since-time once it exists
  --exec CMD           run CMD (with sh -c) once per frame: the frame's JSON on its stdin, STREAM_SEQ and
                       STREAM_TYPE (STREAM_LEVEL for logs) in its environment; the cursor moves only after
                       it exits 0, a failure is retried with backoff, never two at once
  --on-reset stop|continue
                       when the server cannot replay what was missed: print what was lost to stderr and
                       exit 3 (stop, the default; the cursor stays before the loss) or go on (continue)
  --token T            the subscribe token (or $STREAM_TOKEN)
  -h, --help           this text

Frames go to stdout; connection news (hello, reconnects, resets) to stderr. SIGINT/SIGTERM exit 0 after
the frame being handled. Exit status: 0 stopped by a signal, 1 refused (bad token or filter) or failed,
2 bad command line, 3 a reset with --on-reset stop.

Examples:
  stream-server tail                                   # events, coloured on a terminal
  stream-server tail --logs --level warn               # warnings and errors
  stream-server tail --types 'order.*' --json | jq .   # NDJSON
  stream-server tail --cursor-file fills.cursor --types order.filled --exec ./book-fill.sh
`;

const OPTIONS = {
  logs: { type: "boolean" },
  types: { type: "string" },
  level: { type: "string" },
  source: { type: "string" },
  since: { type: "string" },
  "since-time": { type: "string" },
  json: { type: "boolean" },
  "cursor-file": { type: "string" },
  exec: { type: "string" },
  "on-reset": { type: "string" },
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const LEVELS = ["debug", "info", "warn", "error"] as const;

/** `stream-server tail`: resolves with the exit status. */
export async function runTail(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values: o, positionals } = parseCommandLine(NAME, argv, OPTIONS);
  if (o.help) {
    writeNow(1, TAIL_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`${NAME} takes one URL, not ${positionals.join(" ")}`);
  const onReset = o["on-reset"] ?? "stop";
  if (onReset !== "stop" && onReset !== "continue") throw new UsageError(`--on-reset must be stop or continue, not ${JSON.stringify(onReset)}`);
  if (o.level !== undefined && !(LEVELS as readonly string[]).includes(o.level)) throw new UsageError(`--level must be one of ${LEVELS.join(", ")}, not ${JSON.stringify(o.level)}`);
  if (o.since !== undefined && o["since-time"] !== undefined) throw new UsageError("give --since or --since-time, not both");
  const since = wholeNumber("--since", o.since);
  const url = positionals[0] ?? env.STREAM_URL ?? DEFAULT_URL;
  const cursorFile = o["cursor-file"];
  const position = cursorFile ? readCursor(cursorFile) : undefined;
  const cursor = cursorFile ? createCursorFile(cursorFile) : undefined;
  const json = o.json || !process.stdout.isTTY;
  const format = createLineFormat(!json && !env.NO_COLOR);
  const command = o.exec;

  let stopping = false;
  let busy = false;
  let exitWith!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exitWith = resolve));
  let wakeWait: (() => void) | undefined;
  let shown = "";

  const sub = subscribe(url, {
    channel: o.logs ? "logs" : "events",
    types: o.types, level: o.level as (typeof LEVELS)[number] | undefined, source: o.source,
    token: o.token ?? env.STREAM_TOKEN,
    position, since: position ? undefined : since, sinceTime: position ? undefined : o["since-time"],
    onState(state) {
      if (state.status === "live") say(NAME, helloLine(state.hello, url));
      else if (state.status === "reconnecting" && state.text !== shown) say(NAME, state.text);
      shown = state.text;
    },
    onError: (frame) => say(NAME, `the server says: ${frame.code}: ${frame.message}`),
    onPosition(p: Position) {
      cursor?.write(p); // a connect or a checkpoint; after an item, the same position again: no write
      if (stopping) finish(0);
    },
    async onItem(item: Item, after: Position) {
      busy = true;
      if (!isData(item)) {
        say(NAME, resetLine(item));
        if (onReset === "stop") return hang(finish(3, "stopping (--on-reset stop): the cursor stays before the loss; run with --on-reset continue to accept it"));
      } else if (!command) {
        cursor?.stage(after);
        writeNow(1, `${json ? JSON.stringify(item) : format(item)}\n`);
        cursor?.commit();
      } else {
        writeNow(1, `${json ? JSON.stringify(item) : format(item)}\n`);
        const ok = await execFor(command, item, {
          onFailure: (message, ms) => say(NAME, `${message}; retrying in ${(ms / 1000).toFixed(1)} s`),
          stopping: () => stopping,
          wait: (ms) => new Promise<void>((resolve) => {
            wakeWait = resolve;
            setTimeout(resolve, ms);
          }),
        });
        if (!ok) return hang(finish(0)); // stopped before the command succeeded: the frame is not handled
      }
      busy = false; // the position moves (and a stop request is honoured) once this returns
    },
  });

  function finish(code: number, why?: string) {
    if (why) say(NAME, why);
    sub.close();
    exitWith(code);
  }
  const onSignal = () => {
    stopping = true;
    wakeWait?.();
    if (!busy) finish(0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  sub.done.catch((err) => {
    say(NAME, err instanceof StreamRefusedError ? `the server refused ${url}: ${err.message}` : `stopped: ${(err as Error).message}`);
    exitWith(1);
  });
  return exited;
}

/** Keeps a handler from returning (so the position does not move) while the process exits. */
const hang = (_: void) => new Promise<void>(() => {});
