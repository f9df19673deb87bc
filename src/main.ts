import { ConfigError, helpText, loadConfig } from "./config.ts";
import { createLogger } from "./log/logger.ts";
import { PortInUseError, startServer } from "./server.ts";
import { exitOnSignals } from "./cli/signals.ts";
import { guardProcess } from "./crash-guard.ts";
import { VERSION } from "./version.ts";
import { runHealthcheck } from "./healthcheck.ts";
import { runToken } from "./cli/token.ts";
import { messageOf } from "./error-text.ts";
import { isClientCommand, runClientCommand } from "./cli/commands.ts";

/** Entry point: parse the command line, start, stop on signals. No logic of its own. */
async function main(argv: string[]): Promise<number | undefined> {
  if (argv[0] === "token") return runToken(argv.slice(1), process.env);
  if (isClientCommand(argv[0])) return runClientCommand(argv[0], argv.slice(1), process.env);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(helpText());
    return 0;
  }
  if (argv.includes("--version")) {
    console.log(VERSION);
    return 0;
  }
  const healthcheck = argv[0] === "healthcheck";
  const config = loadConfig(healthcheck ? argv.slice(1) : argv, process.env);
  if (healthcheck) return runHealthcheck(config);

  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  guardProcess(logger);
  const server = startServer(config, logger);
  // Signals are handled from here on, also while waiting for Redis (--redis) below.
  exitOnSignals(logger, async (signal) => {
    logger.info(`received ${signal}: shutting down (at most ${config.shutdownTimeout} s; send it again to exit at once)`);
    await server.shutdown(config.shutdownTimeout * 1000);
    logger.info("stopped");
    return 0;
  });
  await server.ready;
  // Announced only once signals are handled: a supervisor that reads this line may stop us right away.
  logger.announce(`listening on ${server.url.origin}`, { version: VERSION, docs: `${server.url.origin}/docs` });
  return undefined;
}

main(process.argv.slice(2)).then(
  // undefined: the server runs until a signal, and the signal handler exits.
  (code) => code !== undefined && process.exit(code),
  (err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`stream-server: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof PortInUseError) {
      process.stderr.write(`stream-server: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`stream-server: failed to start: ${messageOf(err)}\n`);
    process.exit(1);
  },
);
