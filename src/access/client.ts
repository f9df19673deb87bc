import { formatAddress, inRange, parseAddress, type AddressRange } from "../protocol/address.ts";
import { forwardedHops, type Hop } from "../protocol/forwarded.ts";

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

/** Builds the answer to "who is the client" from the --trusted-proxy ranges (none: always the peer). */
export function createClients(trusted: readonly AddressRange[]): Clients {
  const peerOf = (req: Request, peer: PeerSource | undefined) => peer?.requestIP(req)?.address ?? "unknown";
  const isTrusted = (value: bigint) => trusted.some((range) => inRange(range, value));

  /** The client's address and the hop that named it (undefined: the peer itself). */
  function resolve(req: Request, peer: PeerSource | undefined): { address: string; hop?: Hop } {
    const text = peerOf(req, peer);
    const value = parseAddress(text);
    if (value === undefined) return { address: text };
    let found: { address: string; hop?: Hop } = { address: formatAddress(value) };
    if (!isTrusted(value)) return found;
    const hops = forwardedHops(req.headers) ?? [];
    // Right to left: each trusted hop vouches for the one before it; the first untrusted address is the
    // client. Entries left of it were written by the client itself and mean nothing. A hop that is not an
    // address (`unknown`, an obfuscated name) ends the walk at the last address known.
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      const at = parseAddress(hop.for);
      if (at === undefined) break;
      found = { address: formatAddress(at), hop };
      if (!isTrusted(at)) break;
    }
    return found;
  }

  if (trusted.length === 0) {
    return {
      address: peerOf,
      origin: (req, url) => ownOrigin(req, url),
    };
  }
  return {
    address: (req, peer) => resolve(req, peer).address,
    origin(req, url, peer) {
      const { hop } = resolve(req, peer);
      if (!hop) return ownOrigin(req, url);
      const host = hop.host ?? req.headers.get("host");
      return host === null ? undefined : `${hop.proto ? `${hop.proto}:` : url.protocol}//${host}`;
    },
  };
}

function ownOrigin(req: Request, url: URL): string | undefined {
  const host = req.headers.get("host");
  return host === null ? undefined : `${url.protocol}//${host}`;
}
