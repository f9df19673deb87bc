import { describe, expect, test } from "bun:test";
import { cloudEventMode, fromCloudEvent, readBinaryCloudEvent } from "../../src/protocol/cloudevents.ts";
import { inputSchemas } from "../../src/protocol/inputs.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const base = { "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t" };

describe("CloudEvents over HTTP", () => {
  test("the JSON media types pick the mode, parameters and case aside; others are not CloudEvents formats", () => {
    expect(cloudEventMode("application/cloudevents+json")).toBe("structured");
    expect(cloudEventMode("Application/CloudEvents+JSON; charset=UTF-8")).toBe("structured");
    expect(cloudEventMode("application/cloudevents-batch+json")).toBe("batch");
    for (const other of ["application/json", "application/cloudevents+jsonx", "text/plain", ""]) expect(cloudEventMode(other)).toBeUndefined();
  });

  test("binary mode: header values unquoted and percent-decoded once; the body read by its media type", () => {
    const read = (headers: Record<string, string>, body = "") => readBinaryCloudEvent(new Headers({ ...base, ...headers }), bytes(body));
    expect(read({ "ce-subject": '"a \\"quoted\\" value"' })).toEqual({ ok: true, event: { specversion: "1.0", id: "x", source: "s", type: "t", subject: 'a "quoted" value' } });
    expect(read({ "ce-subject": "100%25%20sure" })).toMatchObject({ event: { subject: "100% sure" } });
    expect(read({ "content-type": "application/xml" }, "<a/>")).toMatchObject({ event: { datacontenttype: "application/xml", data: "<a/>" } });
    expect(read({ "content-type": "application/vnd.api+json" }, "[1]")).toMatchObject({ event: { data: [1] } });
    expect(read({ "content-type": "image/png" }, "\u0001")).toMatchObject({ event: { data_base64: "AQ==" } });
    // No body, no data: the frame's data is null, as for any event sent without one.
    const empty = read({ "content-type": "application/json" });
    expect(empty.ok && "data" in empty.event).toBe(false);
    // An overlong encoding is not valid UTF-8 (the binding says to refuse it).
    expect(read({ "ce-subject": "%C0%A0" })).toMatchObject({ ok: false, code: "invalid_header" });
  });

  test("a validated CloudEvent becomes the core's event: core fields, then the spec's other attributes, then extensions in the order sent", () => {
    const { CloudEventInput } = inputSchemas();
    const ce = CloudEventInput.parse({ specversion: "1.0", id: "i", source: "s", type: "t", zeta: 1, subject: "x", alpha: true, data_base64: "AA==" });
    expect(fromCloudEvent(ce)).toEqual({ id: "i", type: "t", source: "s", attributes: { specversion: "1.0", zeta: 1, subject: "x", alpha: true }, dataBase64: "AA==" });
    expect(Object.keys(fromCloudEvent(ce).attributes!)).toEqual(["specversion", "subject", "zeta", "alpha"]);
  });
});
