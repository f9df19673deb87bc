import { formatAddress, inRange, parseAddress, type AddressRange } from "../protocol/address.ts";
import { forwardedHops, type HeaderSource, type Hop } from "../protocol/forwarded.ts";

/** Where a connection comes from as the runtime sees it; Bun's `Server` is one. */
export interface PeerSource {
  requestIP(req: Request): { address: string } | null;
}

/**
 * Who the client is. Per-address connection limits, the publish rate and every log line name the
 * client by `address`; nothing else asks the runtime for a peer address. Behind a reverse proxy the
 * peer is the proxy, so a request whose peer is on --trusted-proxy is attributed to the address the
 * proxy forwarded; from any other peer those headers are ignored and a client cannot choose its address.
 */
export interface Clients {
  /** The client's address: the peer's, or when the peer is a trusted proxy, the right-most forwarded address not itself trusted. */
  address(req: Request, peer: PeerSource | undefined): string;
  /**
   * The origin (`scheme://host`) the client sent the request to, for the own-origin check: the request's
   * scheme and Host, or what a trusted proxy forwarded (behind TLS the client's is `https://…`, the
   * proxy's plain HTTP). Undefined without a Host header.
   */
  origin(req: Request, url: URL, peer: PeerSource | undefined): string | undefined;
}

/** How many peers and forwarding headers are remembered; past that the memory starts afresh. */
const REMEMBERED = 10_000;
/** Longer headers (a few hops fit in far less) are worked out each time, so the memory stays a few MB at most. */
const REMEMBERED_LENGTH = 200;

/** Builds the answer to "who is the client" from the --trusted-proxy ranges (none: always the peer). */
export function createClients(trusted: readonly AddressRange[]): Clients {
  const peerOf = (req: Request, peer: PeerSource | undefined) => peer?.requestIP(req)?.address ?? "unknown";
  if (trusted.length === 0) return { address: peerOf, origin: (req, url) => ownOrigin(req, url) };

  const isTrusted = (value: bigint) => trusted.some((range) => inRange(range, value));
  // Reading addresses costs microseconds (128-bit arithmetic) and a publisher sends the same peer and
  // header on every request: each is worked out once (measured: 7 µs a publish without, 0.2 µs with).
  const peers = remembered((text) => {
    const value = parseAddress(text);
    return value === undefined ? { address: text, trusted: false } : { address: formatAddress(value), trusted: isTrusted(value) };
  });
  const chains = remembered((key) => walk(forwardedHops(headersOf(key))));

  /**
   * Right to left: each trusted hop vouches for the one before it; the first untrusted address is the
   * client. Entries left of it were written by the client itself and mean nothing. A hop that is not an
   * address (`unknown`, an obfuscated name) ends the walk at the last address known (none: the peer).
   */
  function walk(hops: Hop[] | undefined): { address?: string; hop?: Hop } {
    let found: { address?: string; hop?: Hop } = {};
    for (let i = (hops?.length ?? 0) - 1; i >= 0; i--) {
      const hop = hops![i]!;
      const at = parseAddress(hop.for);
      if (at === undefined) break;
      found = { address: formatAddress(at), hop };
      if (!isTrusted(at)) break;
    }
    return found;
  }

  return {
    address(req, peer) {
      const from = peers(peerOf(req, peer));
      if (!from.trusted) return from.address;
      return chains(chainKey(req.headers)).address ?? from.address;
    },
    origin(req, url, peer) {
      if (!peers(peerOf(req, peer)).trusted) return ownOrigin(req, url);
      const { hop } = walk(forwardedHops(req.headers));
      if (!hop) return ownOrigin(req, url);
      const host = hop.host ?? req.headers.get("host");
      return host === null ? undefined : `${hop.proto ? `${hop.proto}:` : url.protocol}//${host}`;
    },
  };
}

/** One line for the start-up log when a --trusted-proxy range holds every address (0.0.0.0/0, ::/0): then any client picks its address. */
export function trustWarning(trusted: readonly AddressRange[]): string | undefined {
  const everything = trusted.filter((range) => range.bits === 0 || (range.bits === 96 && range.network === parseAddress("0.0.0.0")));
  if (everything.length === 0) return undefined;
  return `--trusted-proxy ${everything.map((r) => r.text).join(", ")} trusts every address: any client can choose the address it is counted and logged as by sending X-Forwarded-For; list only your proxies' addresses`;
}

function ownOrigin(req: Request, url: URL): string | undefined {
  const host = req.headers.get("host");
  return host === null ? undefined : `${url.protocol}//${host}`;
}

/** The forwarding headers an address depends on, as one string (X-Forwarded-For wins, see forwardedHops). */
function chainKey(headers: HeaderSource): string {
  const xff = headers.get("x-forwarded-for");
  if (xff !== null) return `x${xff}`;
  const forwarded = headers.get("forwarded");
  return forwarded === null ? "" : `f${forwarded}`;
}

/** The headers a chain key stands for. */
function headersOf(key: string): HeaderSource {
  const name = key[0] === "x" ? "x-forwarded-for" : key[0] === "f" ? "forwarded" : undefined;
  return { get: (wanted) => (wanted === name ? key.slice(1) : null) };
}

/** `compute`, remembered per key; the memory is emptied when it holds REMEMBERED keys (a flood of distinct ones costs only itself). */
function remembered<V>(compute: (key: string) => V): (key: string) => V {
  const memory = new Map<string, V>();
  return (key) => {
    if (key.length > REMEMBERED_LENGTH) return compute(key);
    let value = memory.get(key);
    if (value === undefined) {
      if (memory.size >= REMEMBERED) memory.clear();
      value = compute(key);
      memory.set(key, value);
    }
    return value;
  };
}
