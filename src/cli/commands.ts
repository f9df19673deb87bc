import { say, UsageError } from "./args.ts";
import { CursorFileError } from "./cursor-file.ts";
import { runPublish } from "./publish.ts";
import { runTail } from "./tail.ts";

const COMMANDS = { tail: runTail, publish: runPublish } as const;

/** The client subcommands (`stream-server tail`, `stream-server publish`), built on src/client. */
export const isClientCommand = (name: string | undefined): name is keyof typeof COMMANDS => name === "tail" || name === "publish";

/** Runs a client subcommand; resolves with its exit status (2 for a bad command line). */
export async function runClientCommand(name: keyof typeof COMMANDS, argv: string[], env: Record<string, string | undefined>): Promise<number> {
  try {
    return await COMMANDS[name](argv, env);
  } catch (err) {
    if (err instanceof UsageError) {
      say(`stream-server ${name}`, `${err.message} (see stream-server ${name} --help)`);
      return 2;
    }
    if (err instanceof CursorFileError) {
      say(`stream-server ${name}`, err.message);
      return 1;
    }
    throw err;
  }
}
