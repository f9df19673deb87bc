import { ConfigError, helpText, loadConfig } from "./config.ts";
import { createLogger } from "./log/logger.ts";
import { PortInUseError, startServer } from "./server.ts";
import { VERSION } from "./version.ts";
import { runHealthcheck } from "./healthcheck.ts";

/** Entry point: parse the command line, start, stop on signals. No logic of its own. */
async function main(argv: string[]): Promise<number> {
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
  const server = startServer(config, logger);
  await server.ready;
  logger.info(`listening on ${server.url.origin}`, { version: VERSION, docs: `${server.url.origin}/docs` });

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`received ${signal}, shutting down`);
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await server.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`stream-server: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof PortInUseError) {
      process.stderr.write(`stream-server: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`stream-server: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
