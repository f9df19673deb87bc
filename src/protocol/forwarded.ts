/**
 * What proxies say about the request they pass on: `X-Forwarded-For` (with `X-Forwarded-Proto` and
 * `X-Forwarded-Host`) or RFC 7239 `Forwarded`. Pure reading of header text; whether to believe it is
 * the caller's decision (only from a trusted proxy, see `access/client.ts`).
 */

/** One hop of the chain, as the proxy that received it recorded it. */
export interface Hop {
  /** The address it came from, without port or brackets (`unknown`, `_hidden` and garbage pass through as text). */
  readonly for: string;
  /** The scheme it arrived on (`https`), when said. */
  readonly proto?: string;
  /** The Host it was sent to, when said. */
  readonly host?: string;
}

/** Reads a header by name (a `Headers` object satisfies it). */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The hops proxies recorded, the client's end first and the nearest proxy's last; undefined when there
 * are none. `X-Forwarded-For` wins over `Forwarded`: it is what nginx, Caddy, cloud load balancers and
 * Kubernetes ingresses set, and a proxy that sets one header passes the other through from the client
 * untouched, so reading both would let a client write its own entry.
 */
export function forwardedHops(headers: HeaderSource): Hop[] | undefined {
  const xff = headers.get("x-forwarded-for");
  if (xff !== null) {
    // One scheme and host for the whole chain: the first value, written by the proxy the client reached.
    const proto = list(headers.get("x-forwarded-proto") ?? "")[0]?.toLowerCase();
    const host = list(headers.get("x-forwarded-host") ?? "")[0];
    const hops: Hop[] = list(xff).map((entry) => ({ for: stripPort(entry), ...(proto && { proto }), ...(host && { host }) }));
    return hops.length === 0 ? undefined : hops;
  }
  const forwarded = headers.get("forwarded");
  if (forwarded === null) return undefined;
  const hops = parseForwarded(forwarded);
  return hops.length === 0 ? undefined : hops;
}

/** RFC 7239: elements separated by commas, each `name=value` pairs separated by semicolons, values tokens or quoted strings. */
export function parseForwarded(text: string): Hop[] {
  const hops: Hop[] = [];
  for (const element of splitOutsideQuotes(text, ",")) {
    const pairs = new Map<string, string>();
    for (const pair of splitOutsideQuotes(element, ";")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      pairs.set(pair.slice(0, eq).trim().toLowerCase(), unquote(pair.slice(eq + 1).trim()));
    }
    // An element without for= still marks a hop (its proxy did not say where the request came from).
    const proto = pairs.get("proto")?.toLowerCase();
    const host = pairs.get("host");
    hops.push({ for: stripPort(pairs.get("for") ?? "unknown"), ...(proto && { proto }), ...(host && { host }) });
  }
  return hops;
}

function list(value: string): string[] {
  return value.split(",").map((v) => v.trim()).filter(Boolean);
}

/** `[2001:db8::1]:4711` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`; a bare IPv6 address stays whole. */
function stripPort(value: string): string {
  const v = value.trim();
  if (v.startsWith("[")) {
    const end = v.indexOf("]");
    return end === -1 ? v : v.slice(1, end);
  }
  const colons = v.split(":").length - 1;
  return colons === 1 ? v.slice(0, v.indexOf(":")) : v;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, "$1");
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === "\\" && i + 1 < text.length) {
      current += ch + text[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}
