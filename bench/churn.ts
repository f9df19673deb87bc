/**
 * `bun run bench/churn.ts [--repeat N] [--quick]`: the connection-churn scenario alone — the same as
 * `bun run bench churn` (60 s per server; --quick: 24 s).
 */
process.argv.splice(2, 0, "churn");
await import("./run.ts");
export {};
