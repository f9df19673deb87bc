import { parseArgs, type ParseArgsConfig } from "node:util";
import { writeNow } from "./output.ts";

/** A command line that cannot be run as given: printed with a pointer to --help, exit status 2. */
export class UsageError extends Error {}

/** The server a subcommand talks to when no URL is given. */
export const DEFAULT_URL = "http://localhost:8000";

/** True for an argument that is a server address rather than a type or level. */
export const isUrl = (arg: string | undefined): arg is string => !!arg && /^(https?|wss?):\/\//i.test(arg);

/** Parses `argv` against `options` (node:util's parser: unknown flags and missing values are errors, worded for `command`). */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig["options"]>>(command: string, argv: string[], options: O) {
  // A value that starts with a dash and a digit (--since-time -15m) is the flag's value, not a flag.
  const args = argv.flatMap((arg, i) => {
    const next = argv[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name && options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) return [`${arg}=${next}`];
    return i > 0 && /^-\d/.test(arg) && argv[i - 1]!.startsWith("--") && options[argv[i - 1]!.slice(2)]?.type === "string" ? [] : [arg];
  });
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split("\n")[0]!.replace(/\. To specify a positional argument.*$/s, "")} (${command})`);
  }
}

/** A whole number from a flag, or a UsageError naming the flag. */
export function wholeNumber(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || text.trim() === "") throw new UsageError(`${flag} must be a whole number from ${min} up, not ${JSON.stringify(text)}`);
  return n;
}

/** JSON from a flag, or a UsageError naming the flag. */
export function jsonFlag(flag: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag} is not JSON (${(err as Error).message}): ${text.slice(0, 80)}`);
  }
}

/** Writes a line to stderr prefixed with the command's name. */
export const say = (command: string, text: string) => writeNow(2, `${command}: ${text}\n`);
