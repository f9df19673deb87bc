import { z } from "zod";
import type { SafeParse } from "./fast-validator.ts";
import type { NewEvent } from "../hub/envelope.ts";
import type { CloudEventInput } from "./inputs.ts";
import type { Issue } from "./issues.ts";
import { flattenIssues } from "./issues.ts";

/**
 * CloudEvents 1.0 in over HTTP (the HTTP protocol binding): the structured and batched JSON formats, told
 * apart by their media types, and the binary mode, whose attributes come as `ce-` headers and whose body
 * is the data. Each ends as a plain object that `CloudEventInput` (inputs.ts) validates, the one set of
 * rules for all three modes, then as the core's `NewEvent`.
 */

/** How a publish body is to be read, by its Content-Type (and, for binary mode, a `ce-specversion` header). */
export type CloudEventMode = "structured" | "batch";

const STRUCTURED = /^application\/cloudevents(-batch)?\+json\s*(;|$)/i;

/** `structured` or `batch` for the CloudEvents JSON media types, undefined for any other. */
export function cloudEventMode(contentType: string): CloudEventMode | undefined {
  const m = STRUCTURED.exec(contentType);
  return m ? (m[1] ? "batch" : "structured") : undefined;
}

/** The attributes the core's event has fields of; every other attribute is kept as is. */
const CORE_FIELDS = new Set(["id", "type", "source", "time", "data", "data_base64"]);

/**
 * A validated CloudEvent as the core's event: its own fields, and the other attributes in the order the
 * schema gives them (the spec's own, then the extensions in the order sent).
 */
export function fromCloudEvent(ce: CloudEventInput): NewEvent {
  const attributes: Record<string, string | number | boolean> = {};
  for (const key of Object.keys(ce)) if (!CORE_FIELDS.has(key)) attributes[key] = ce[key] as string | number | boolean;
  const event: NewEvent = { id: ce.id, type: ce.type, source: ce.source, attributes };
  if (ce.time !== undefined) event.time = ce.time;
  if (ce.data_base64 !== undefined) event.dataBase64 = ce.data_base64;
  else if (ce.data !== undefined) event.data = ce.data;
  return event;
}

/**
 * `parse` that first refuses an own key `__proto__` (an extension name the spec forbids anyway): zod builds
 * its output by assignment, which would drop that key silently instead of naming it.
 */
export function refusingProtoKey<T>(parse: SafeParse<T>): SafeParse<T> {
  const PROTO = "__proto__";
  const holds = (v: unknown) => typeof v === "object" && v !== null && Object.hasOwn(v, PROTO);
  return (value) => {
    const at = Array.isArray(value) ? value.findIndex(holds) : holds(value) ? -2 : -1;
    if (at === -1) return parse(value);
    const path = at === -2 ? [PROTO] : [at, PROTO];
    const message = `extension attribute "${PROTO}" is not a CloudEvents attribute name: lower-case letters a–z and digits 0–9 only`;
    return { success: false, error: new z.ZodError([{ code: "custom", path, message, input: value }]) } as ReturnType<SafeParse<T>>;
  };
}

/** A binary-mode request read into a CloudEvent object, or the problem with one of its headers or its body. */
export type BinaryRead =
  | { ok: true; event: Record<string, unknown> }
  | { ok: false; code: "invalid_header" | "bad_json"; message: string; issues?: Issue[] };

const HEADER_PREFIX = "ce-";

/** Binary mode: a publish carrying `ce-specversion` (and not a structured media type). */
export function isBinaryMode(headers: Headers): boolean {
  return headers.has("ce-specversion");
}

/**
 * Reads a binary-mode CloudEvent: each `ce-<name>` header is the attribute `<name>` (its value unquoted
 * and percent-decoded, as the HTTP binding asks), Content-Type is `datacontenttype`, and the body is the
 * data: parsed for a JSON media type, text for `text/*` and XML, base64 (`data_base64`) for anything else.
 */
export function readBinaryCloudEvent(headers: Headers, body: Uint8Array): BinaryRead {
  const event: Record<string, unknown> = {};
  for (const [name, raw] of headers) {
    if (!name.startsWith(HEADER_PREFIX)) continue;
    const attribute = name.slice(HEADER_PREFIX.length);
    if (attribute === "datacontenttype") {
      return { ok: false, code: "invalid_header", message: "send datacontenttype as the Content-Type header, not ce-datacontenttype (CloudEvents HTTP binding)" };
    }
    const value = decodeHeaderValue(raw);
    if (value === undefined) {
      return { ok: false, code: "invalid_header", message: `header ${name} is not valid percent-encoded UTF-8`, issues: [{ path: name, message: "not valid percent-encoded UTF-8" }] };
    }
    // Defined, not assigned: a `ce-__proto__` header must arrive as a key (and be refused), not set a prototype.
    Object.defineProperty(event, attribute, { value, enumerable: true, writable: true, configurable: true });
  }
  const contentType = headers.get("content-type");
  if (contentType) event.datacontenttype = contentType;
  if (body.byteLength === 0) return { ok: true, event };
  const media = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (/^application\/([\w.-]+\+)?json$/.test(media)) {
    try {
      event.data = JSON.parse(new TextDecoder().decode(body));
    } catch (err) {
      return { ok: false, code: "bad_json", message: `the body is not valid JSON, as its Content-Type ${media} says: ${(err as Error).message}` };
    }
  } else if (media.startsWith("text/") || /[/+]xml$/.test(media)) {
    event.data = new TextDecoder().decode(body);
  } else {
    event.data_base64 = Buffer.from(body).toString("base64");
  }
  return { ok: true, event };
}

/** A header value unquoted (RFC 7230 quoted-string) and percent-decoded; undefined when not valid UTF-8. */
function decodeHeaderValue(raw: string): string | undefined {
  let value = raw;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, "$1");
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Issues of a binary-mode CloudEvent named as the sender wrote them: attribute `type` is the header
 * `ce-type`, `datacontenttype` is `Content-Type`, and the data is the body.
 */
export function binaryIssues(issues: readonly z.core.$ZodIssue[]): Issue[] {
  return flattenIssues(issues).map(({ path, message }) => {
    const attribute = path.split(".")[0]!;
    const where = attribute === "data" || attribute === "data_base64" ? "(body)" : attribute === "datacontenttype" ? "content-type" : `${HEADER_PREFIX}${path}`;
    return { path: where, message };
  });
}
