import { afterAll, beforeAll, expect, test } from "bun:test";
import { roleFor } from "../../src/access/policy.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

/**
 * What makes /openapi.json usable from /docs and by tools: every operation named and secured as the
 * server guards it, parameters typed as they are read, no example a try-out would send as a value,
 * and no declared schema that nothing uses. (The browser side is test/e2e/docs.test.ts; the linter's
 * verdict is openapi-lint.test.ts.)
 */

let srv: TestServer;
let doc: any;
beforeAll(async () => {
  srv = startTestServer();
  doc = await (await fetch(`${srv.url}/openapi.json`)).json();
});
afterAll(() => srv.stop());

/** Every operation as [method, path, operation]. */
const operations = (): Array<[string, string, any]> =>
  Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.entries(item).map(([method, op]): [string, string, any] => [method, path, op]));

test("every operation has an operationId, and no two share one", () => {
  const ids = operations().map(([method, path, op]) => op.operationId ?? `missing on ${method} ${path}`);
  expect(ids.filter((id) => !/^[a-z][A-Za-z]+$/.test(id))).toEqual([]);
  expect(new Set(ids).size).toBe(ids.length);
});

test("a bearer scheme is declared, and each operation requires it exactly where the policy table guards it", () => {
  expect(doc.components.securitySchemes.token).toMatchObject({ type: "http", scheme: "bearer" });
  for (const [method, path, op] of operations()) {
    const role = roleFor(method.toUpperCase(), path);
    const expected = path === "/metrics" ? [{ metricsToken: [] }] : role === "open" ? [] : [{ token: [role] }];
    expect({ op: `${method} ${path}`, security: op.security }).toEqual({ op: `${method} ${path}`, security: expected });
    if (op.security.length > 0) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403"]));
  }
});

test("no parameter carries an example, which Swagger UI would fill in as the value of a try-out", () => {
  const params = operations().flatMap(([method, path, op]) => (op.parameters ?? []).map((p: any) => ({ op: `${method} ${path}`, ...p })));
  expect(params.length).toBeGreaterThan(20);
  const withExample = params.filter((p) => p.example !== undefined || p.examples !== undefined || p.schema.example !== undefined || p.schema.examples !== undefined);
  expect(withExample.map((p) => `${p.op} ${p.name}`)).toEqual([]);
});

test("since, limit and Last-Event-ID are integers with their bounds; the defaults are what an absent parameter means", () => {
  for (const [method, path, op] of operations()) {
    for (const p of op.parameters ?? []) {
      if (!["since", "limit", "last-event-id"].includes(p.name)) continue;
      expect({ op: `${method} ${path}`, name: p.name, type: p.schema.type, min: typeof p.schema.minimum, max: typeof p.schema.maximum })
        .toEqual({ op: `${method} ${path}`, name: p.name, type: "integer", min: "number", max: "number" });
    }
  }
  const history = Object.fromEntries(doc.paths["/api/events"].get.parameters.map((p: any) => [p.name, p.schema]));
  expect(history.limit).toMatchObject({ minimum: 1, maximum: 1000, default: 100 });
  expect(history.since).toMatchObject({ minimum: 0, default: 0 });
});

test("every declared schema is used: reachable through $ref from an operation", () => {
  const refs = (value: unknown): string[] =>
    typeof value !== "object" || value === null
      ? []
      : Object.entries(value).flatMap(([k, v]) => (k === "$ref" && typeof v === "string" ? [v] : refs(v)));
  const used = new Set<string>();
  let frontier = refs(doc.paths);
  while (frontier.length > 0) {
    const fresh = frontier.filter((r) => !used.has(r));
    for (const r of fresh) used.add(r);
    frontier = fresh.flatMap((r) => refs(doc.components.schemas[r.split("/").at(-1)!]));
  }
  const declared = Object.keys(doc.components.schemas).map((name) => `#/components/schemas/${name}`);
  expect(declared.filter((r) => !used.has(r))).toEqual([]);
  // The frames each WebSocket carries, both ways.
  const ws = doc.paths["/ws"].get;
  expect(refs(ws.responses["101"])).toEqual(expect.arrayContaining(["HelloFrame", "EventFrame", "ResetFrame", "ErrorFrame", "AckFrame"].map((f) => `#/components/schemas/${f}`)));
  expect(refs(ws.requestBody)).toEqual(["PingFrame", "PublishFrame", "RefreshFrame"].map((f) => `#/components/schemas/${f}`));
  // The permissions claim of a JSON Web Token, for token issuers (echoed in the refreshed frame).
  expect(used.has("#/components/schemas/StreamPermissions")).toBe(true);
});

test("a WebSocket path with a JSON body on a plain GET still answers 426: the documented client frames are not validated as a body", async () => {
  const res = await fetch(`${srv.url}/ws`, { method: "GET", headers: { "content-type": "application/json" } });
  expect(res.status).toBe(426);
});

test("/docs/ serves the same page as /docs", async () => {
  const [plain, slash] = await Promise.all([fetch(`${srv.url}/docs`), fetch(`${srv.url}/docs/`)]);
  expect(slash.status).toBe(200);
  expect(await slash.text()).toBe(await plain.text());
});

test("since_time is documented, as a string with its spellings, on every subscription and history read", () => {
  const reads = operations().filter(([method, , op]) => method === "get" && op.parameters?.some((p: any) => p.name === "since"));
  expect(reads.map(([, path]) => path)).toEqual(expect.arrayContaining(["/api/events", "/api/logs", "/api/events/stream", "/api/logs/stream", "/ws", "/ws/logs"]));
  for (const [method, path, op] of reads) {
    const param = op.parameters.find((p: any) => p.name === "since_time");
    expect({ op: `${method} ${path}`, in: param?.in, type: param?.schema?.type }).toEqual({ op: `${method} ${path}`, in: "query", type: "string" });
    expect(param.description).toContain("-15m");
    expect(param.description).toContain("2026-12-03T10:00:00Z");
  }
});
