import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalBroker } from "../../src/hub/broker-local.ts";
import { openHistoryStore } from "../../src/hub/history/open.ts";
import { runBrokerContract } from "./broker.contract.ts";

// The --data setup as server.ts builds it: the single-process broker over SQLite (default --data-sync
// full), with group commit. Each broker gets its own directory, removed when the suite closes the broker.
runBrokerContract("single-process over SQLite, group commit", async ({ deliver, historySize, historyMaxAgeMs }) => {
  const dir = mkdtempSync(join(tmpdir(), "stream-contract-"));
  const broker = createLocalBroker({ deliver, store: openHistoryStore({ historySize, historyMaxAgeMs }, { dir, sync: "full", setting: "--data" }), groupCommit: true });
  return {
    ...broker,
    async close() {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
