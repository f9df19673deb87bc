/**
 * `bun run bench/history.ts [--repeat N] [--quick]`: the durable-history scenario alone — the same as
 * `bun run bench history`.
 */
process.argv.splice(2, 0, "history");
await import("./run.ts");
export {};
