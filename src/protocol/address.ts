/**
 * IP addresses and CIDR ranges, IPv4 and IPv6, as plain values: what `--trusted-proxy` holds and what
 * forwarding headers name. Every address is read as 128 bits, IPv4 as its IPv4-mapped IPv6 form
 * (::ffff:a.b.c.d), so one comparison serves both families and `::ffff:10.0.0.1` (a dual-stack
 * listener's view of an IPv4 client) falls in 10.0.0.0/8. Pure: no I/O, no runtime.
 */

/** A range of addresses: a network and how many leading bits of it count, over the 128-bit form. */
export interface AddressRange {
  /** As the user wrote it, for messages. */
  readonly text: string;
  readonly network: bigint;
  /** Leading bits compared, 0 to 128 (an IPv4 /8 is 96 + 8). */
  readonly bits: number;
}

const V4_MAPPED = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

/** The 128-bit value of an IPv4 or IPv6 address in text, or undefined when it is not one. A zone (`%eth0`) is ignored. */
export function parseAddress(text: string): bigint | undefined {
  const plain = text.includes("%") ? text.slice(0, text.indexOf("%")) : text;
  if (plain.includes(":")) return parseV6(plain);
  const v4 = parseV4(plain);
  return v4 === undefined ? undefined : V4_MAPPED | v4;
}

/** An address's canonical text: dotted IPv4 for IPv4 (mapped or not), compressed lower-case IPv6 otherwise. */
export function formatAddress(value: bigint): string {
  if (value >> 32n === 0xffffn) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

/** Parses `10.0.0.5`, `10.0.0.0/8`, `::1` or `fd00::/8` into a range; undefined when it is none of those. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const [addr = "", prefix, extra] = text.trim().split("/");
  if (extra !== undefined || addr.includes("%")) return undefined;
  const value = parseAddress(addr);
  if (value === undefined) return undefined;
  const v4 = !addr.includes(":");
  const max = v4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return undefined;
  const length = prefix === undefined ? max : Number(prefix);
  if (length > max) return undefined;
  const bits = v4 ? 96 + length : length;
  // Host bits written after the network (10.0.0.1/8) are dropped: the range is 10.0.0.0/8, as most tools read it.
  return { text: text.trim(), network: value & maskOf(bits), bits };
}

/** Whether the 128-bit `address` lies in `range`. */
export function inRange(range: AddressRange, address: bigint): boolean {
  return (address & maskOf(range.bits)) === range.network;
}

function maskOf(bits: number): bigint {
  return bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
}

/** Dotted-quad IPv4 as 32 bits; no leading zeros (010 is octal to some tools and decimal to others). */
function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(p);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): bigint[] | undefined => {
    if (part === "") return [];
    const out: bigint[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        // An embedded IPv4 address fills the last two groups (::ffff:1.2.3.4).
        const v4 = parseV4(piece);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(BigInt(`0x${piece}`));
      else return undefined;
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<bigint>(missing).fill(0n), ...tail].reduce((acc, g) => (acc << 16n) | g, 0n);
}
