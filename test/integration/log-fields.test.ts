import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useServer } from "../helpers/server.ts";
import { KEPT, publishAndRead, QUIET } from "./log-fields.case.ts";

const start = useServer();

describe("log fields with a __proto__ key", () => {
  test("memory history: live on /ws/logs and SSE, and in GET /api/logs, verbatim", async () => {
    await publishAndRead(start(QUIET));
  });

  test("SQLite history (--data): verbatim, also read back after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stream-fields-"));
    let srv = start([...QUIET, "--data", dir]);
    try {
      await publishAndRead(srv);
      await srv.stop();
      srv = start([...QUIET, "--data", dir]);
      const history = await (await fetch(`${srv.url}/api/logs`)).text();
      expect(history.split(KEPT)).toHaveLength(4);
    } finally {
      await srv.stop(); // before its directory goes
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
