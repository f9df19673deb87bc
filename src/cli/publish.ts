import { PublishError, StreamRefusedError, subscribe, type EventInput, type Published } from "../client/index.ts";
import { DEFAULT_URL, isUrl, jsonFlag, parseCommandLine, say, UsageError, wholeNumber } from "./args.ts";
import { writeNow } from "./output.ts";

const NAME = "stream-server publish";

export const PUBLISH_HELP = `Usage:
  stream-server publish [URL] TYPE [--data JSON] [--source S] [--id ID]      one event
  stream-server publish [URL] --logs LEVEL MESSAGE [--source S] [--fields JSON]   one log line
  <ndjson> | stream-server publish [URL] [--max-batch N]                      one event per line

Publishes over a WebSocket and waits for the server's acknowledgement, then prints the seq each event
got (--json: the server's answer). Every event carries an id (yours, or a random one), so after a
dropped connection the unacknowledged ones are sent again and stored once. URL defaults to
$STREAM_URL or ${DEFAULT_URL}.

  --data JSON          the event's data
  --source S           who sends it (default: the server's, "api")
  --id ID              the event's id, its idempotency key
  --logs               publish a log line (POST /api/logs): LEVEL is debug, info, warn or error
  --fields JSON        the log line's fields (an object)
  --max-batch N        events per frame from standard input (default 100; the server takes up to its --max-batch)
  --timeout S          give up when a frame has no acknowledgement after S seconds, e.g. while the server is
                       down (default 30; 0 waits for ever, reconnecting)
  --json               print the server's answer as JSON
  --token T            the publish token (or $STREAM_TOKEN)
  -h, --help           this text

Exit status: 0 published, 1 refused (the server's message is printed; for standard input, the line), 2 bad
command line, 4 gave up after --timeout (what was not acknowledged may or may not be stored: sending it
again with the same ids stores it once). Lines before a refused batch stay published.

Examples:
  stream-server publish order.filled --data '{"qty":5}' --source strategy/alpha
  stream-server publish --logs warn 'risk limit at 90%' --source risk-engine
  jq -c '.fills[] | {type:"order.filled", id:.fill_id, data:.}' fills.json | stream-server publish
`;

const OPTIONS = {
  data: { type: "string" },
  source: { type: "string" },
  id: { type: "string" },
  logs: { type: "boolean" },
  fields: { type: "string" },
  "max-batch": { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>["values"];

/** `stream-server publish`: resolves with the exit status. */
export async function runPublish(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values: o, positionals } = parseCommandLine(NAME, argv, OPTIONS);
  if (o.help) {
    writeNow(1, PUBLISH_HELP);
    return 0;
  }
  const url = isUrl(positionals[0]) ? positionals.shift()! : (env.STREAM_URL ?? DEFAULT_URL);
  const token = o.token ?? env.STREAM_TOKEN;
  if (o.logs) return publishLog(url, token, positionals, o);
  if (positionals.length > 1) throw new UsageError(`${NAME} takes one TYPE, not ${positionals.join(" ")} (quote --data's JSON)`);
  const maxBatch = wholeNumber("--max-batch", o["max-batch"], 1) ?? 100;
  const timeout = wholeNumber("--timeout", o.timeout) ?? 30;
  const sub = subscribe(url, {
    token, receive: false,
    onState: (s) => s.status === "reconnecting" && say(NAME, s.text),
  });
  const send = (events: EventInput[]) => acknowledged(sub.publish(events), timeout, () => sub.state.text);
  try {
    if (positionals[0] !== undefined) {
      const event: EventInput = { type: positionals[0], source: o.source, id: o.id, data: jsonFlag("--data", o.data) };
      return report(await send([event]), o.json);
    }
    return await publishLines(send, maxBatch, o.json);
  } catch (err) {
    return refused(err);
  } finally {
    sub.close();
  }
}

/** No acknowledgement within --timeout. */
class GaveUp extends Error {}

/** Waits for `published` at most `seconds` (0: for ever), so a publish to a server that stays down ends. */
function acknowledged<T>(published: Promise<T>, seconds: number, state: () => string): Promise<T> {
  if (seconds === 0) return published;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new GaveUp(`no acknowledgement within ${seconds} s (${state()})`)), seconds * 1000);
    published.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Prints each event's seq (or the answer as JSON, as POST /api/events gives it). */
function report(items: Published[], json?: boolean): number {
  if (json) writeNow(1, `${JSON.stringify({ accepted: items.length, items })}\n`);
  else writeNow(1, items.map((i) => `${i.seq}${i.duplicate ? " (duplicate: already stored)" : ""}\n`).join(""));
  return 0;
}

/** Says why the server refused and returns exit status 1. */
function refused(err: unknown, where?: (issuePath: string) => string): number {
  if (err instanceof PublishError) {
    say(NAME, `refused: ${err.message}`);
    for (const issue of err.issues) say(NAME, `  ${where ? where(issue.path) : issue.path}: ${issue.message}`);
    return 1;
  }
  if (err instanceof StreamRefusedError) {
    say(NAME, `the server refused the connection: ${err.message}`);
    return 1;
  }
  if (err instanceof GaveUp) {
    say(NAME, `gave up: ${err.message}; it may or may not be stored: send it again with the same ids (--id, or "id" per line) and it is stored once; --timeout 0 waits for ever`);
    return 4;
  }
  throw err;
}

/**
 * Standard input, one event per line: lines are sent in frames of up to `maxBatch` (whatever has
 * arrived when the input pauses goes at once), each frame's ack awaited before the next.
 */
async function publishLines(send: (events: EventInput[]) => Promise<Published[]>, maxBatch: number, json?: boolean): Promise<number> {
  let lineNo = 0;
  let batch: EventInput[] = [];
  let lines: number[] = [];
  let rest = "";
  const flush = async (): Promise<number> => {
    if (batch.length === 0) return 0;
    const [sent, at] = [batch, lines];
    [batch, lines] = [[], []];
    try {
      report(await send(sent), json);
      return 0;
    } catch (err) {
      const code = refused(err, (path) => {
        const m = /^events\.(\d+)\.?(.*)$/.exec(path);
        return m ? `line ${at[Number(m[1])]}${m[2] ? `: ${m[2]}` : ""}` : path;
      });
      const before = at[0]! > 1 ? `; lines before ${at[0]} were` : "";
      if (err instanceof GaveUp) say(NAME, `lines ${at[0]}–${at.at(-1)} were not acknowledged (one batch)${before}`);
      else say(NAME, `nothing from lines ${at[0]}–${at.at(-1)} was published (one batch)${before}`);
      return code;
    }
  };
  const take = (text: string): string | undefined => {
    lineNo++;
    if (text.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return `line ${lineNo} is not JSON (${(err as Error).message}): ${text.slice(0, 80)}`;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return `line ${lineNo} is not a JSON object with a "type": ${text.slice(0, 80)}`;
    batch.push(value as EventInput);
    lines.push(lineNo);
  };
  const decoder = new TextDecoder();
  for await (const chunk of Bun.stdin.stream()) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop()!;
    for (const line of parts) {
      const bad = take(line);
      if (bad) return (await flush()) || (say(NAME, bad), 1);
      const failed = batch.length >= maxBatch ? await flush() : 0;
      if (failed) return failed;
    }
    const failed = await flush();
    if (failed) return failed;
  }
  if (rest !== "") {
    const bad = take(rest);
    if (bad) return (await flush()) || (say(NAME, bad), 1);
  }
  if (lineNo === 0) say(NAME, "standard input was empty: nothing to publish (give a TYPE to publish one event)");
  return flush();
}

/** One log line over HTTP (log lines have no WebSocket publish frame and no ids). */
async function publishLog(url: string, token: string | undefined, positionals: string[], o: Values): Promise<number> {
  if (positionals.length !== 2) throw new UsageError(`${NAME} --logs takes LEVEL MESSAGE (quote the message), not ${positionals.length} argument(s)`);
  const [level, message] = positionals as [string, string];
  const body = JSON.stringify({ level, message, source: o.source, fields: jsonFlag("--fields", o.fields) });
  const endpoint = new URL("/api/logs", url.replace(/^ws/i, "http"));
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(endpoint, { method: "POST", headers, body });
  } catch (err) {
    say(NAME, `cannot reach ${endpoint.origin}: ${(err as Error).message}`);
    return 1;
  }
  const answer = (await res.json().catch(() => ({}))) as { error?: string; message?: string; items?: Array<{ seq: number }>; issues?: Array<{ path: string; message: string }> };
  if (!res.ok) {
    say(NAME, `refused: ${res.status} ${answer.error}: ${answer.message}`);
    for (const issue of answer.issues ?? []) say(NAME, `  ${issue.path}: ${issue.message}`);
    return 1;
  }
  writeNow(1, o.json ? `${JSON.stringify(answer)}\n` : `${answer.items?.map((i) => i.seq).join("\n")}\n`);
  return 0;
}
