import { afterAll, beforeAll, expect, test } from "bun:test";
import { roleFor } from "../../src/access/policy.ts";
import { FRAME_ERROR_CODES, HTTP_ERROR_CODES, statusOf, type HttpErrorCode } from "../../src/protocol/errors.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
let doc: any;
beforeAll(async () => {
  srv = startTestServer();
  doc = await (await fetch(`${srv.url}/openapi.json`)).json();
});
afterAll(() => srv.stop());

/** Every documented operation's error responses (4xx and 5xx), as [operation, status, response]. */
function errorResponses(): Array<[string, number, any]> {
  return Object.entries(doc.paths).flatMap(([path, item]: [string, any]) =>
    Object.entries(item).flatMap(([method, op]: [string, any]) =>
      Object.entries(op.responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, res]): [string, number, any] => [`${method.toUpperCase()} ${path}`, Number(status), res]),
    ),
  );
}

test("each error response's `error` is an enum of catalogue codes of that status, each with a real example", () => {
  const responses = errorResponses();
  expect(responses.length).toBeGreaterThan(20);
  for (const [op, status, res] of responses) {
    const media = res.content["application/json"];
    const codes: HttpErrorCode[] = media.schema.properties.error.enum;
    expect({ op, status, codes: codes.length > 0 }).toEqual({ op, status, codes: true });
    for (const code of codes) {
      expect(HTTP_ERROR_CODES).toContain(code);
      expect({ op, code, status: statusOf(code) as number }).toEqual({ op, code, status });
      const example = media.examples[code].value;
      expect(example.error).toBe(code);
      expect(example.message.length).toBeGreaterThan(20);
      // The example's fields are the documented ones: no undocumented extras, no filler.
      for (const field of Object.keys(example)) expect(Object.keys(media.schema.properties)).toContain(field);
    }
    expect(res.description).toContain(`\`${codes[0]}\``);
  }
  expect(JSON.stringify(responses)).not.toContain("additionalProp");
});

test("every guarded operation documents its 401 and 403, and every operation its 500 and shutdown 503", () => {
  for (const [path, item] of Object.entries(doc.paths) as [string, any][]) {
    for (const [method, op] of Object.entries(item) as [string, any][]) {
      const statuses = Object.keys(op.responses);
      expect({ path, method, statuses }).toEqual({ path, method, statuses: expect.arrayContaining(["500", "503"]) });
      expect(op.responses["503"].content["application/json"].schema.properties.error.enum).toContain("shutting_down");
      if (roleFor(method.toUpperCase(), path) !== "open") {
        expect({ path, method, statuses }).toEqual({ path, method, statuses: expect.arrayContaining(["401", "403"]) });
      }
    }
  }
});

test("the error frame schema's `code` enum is the catalogue's frame codes", () => {
  expect(doc.components.schemas.ErrorFrame.properties.code.enum).toEqual([...FRAME_ERROR_CODES]);
});

test("the examples are answers the server really gives", async () => {
  const examples = new Map<string, unknown>();
  for (const [, , res] of errorResponses()) {
    for (const [code, example] of Object.entries(res.content["application/json"].examples) as [string, any][]) examples.set(code, example.value);
  }
  const post = (body: string, type = "application/json") => fetch(`${srv.url}/api/events`, { method: "POST", headers: { "content-type": type }, body });
  const answers: Record<string, Response> = {
    bad_json: await post('{"type":'),
    invalid_body: await post('{"type":""}'),
    unsupported_media_type: await post("x", "text/plain"),
    invalid_query: await fetch(`${srv.url}/api/events?since=abc`),
    invalid_header: await fetch(`${srv.url}/api/events/stream`, { headers: { "last-event-id": "x" } }),
  };
  for (const [code, res] of Object.entries(answers)) expect(await res.json()).toEqual(examples.get(code));
});
