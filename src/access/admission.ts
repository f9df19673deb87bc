import type { Refusals } from "./counters.ts";
import type { Refusal } from "./access.ts";
import { problem } from "../protocol/problem.ts";

/**
 * Connection limits: in total and per remote address. Checked before the upgrade (a 503 with a JSON
 * body), and again when the socket opens, since handshakes in flight can pass the first check together.
 */
export interface Admission {
  /** Refuses a new connection from `remote` when a limit is reached. */
  check(remote: string): Refusal | undefined;
  /** Records an open connection; returns a refusal if it went over a limit after all (close it with 1013). */
  opened(remote: string): Refusal | undefined;
  /** Records a closed connection (only for connections `opened` accepted). */
  closed(remote: string): void;
}

export interface AdmissionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** Creates the connection counter for `limits`; `refusals.connectionLimit` counts what it refuses. */
export function createAdmission(limits: AdmissionLimits, refusals: Refusals): Admission {
  const perAddress = new Map<string, number>();
  let total = 0;

  const refusal = (remote: string, pending: number): Refusal | undefined => {
    if (total + pending > limits.maxConnections) {
      refusals.connectionLimit++;
      return problem("too_many_connections", `the server holds its maximum of ${limits.maxConnections} connections, WebSocket and Server-Sent Events (--max-connections); retry later or connect to another instance`, {
        headers: { "retry-after": "5" },
      });
    }
    if ((perAddress.get(remote) ?? 0) + pending > limits.maxConnectionsPerAddress) {
      refusals.connectionLimit++;
      return problem("too_many_connections", `${remote} already holds ${limits.maxConnectionsPerAddress} connections, WebSocket and Server-Sent Events (--max-connections-per-address); close some before opening more`, {
        headers: { "retry-after": "5" },
      });
    }
    return undefined;
  };

  return {
    check: (remote) => refusal(remote, 1),
    opened(remote) {
      const refused = refusal(remote, 1);
      if (refused) return refused;
      total++;
      perAddress.set(remote, (perAddress.get(remote) ?? 0) + 1);
      return undefined;
    },
    closed(remote) {
      total = Math.max(0, total - 1);
      const n = (perAddress.get(remote) ?? 1) - 1;
      if (n <= 0) perAddress.delete(remote);
      else perAddress.set(remote, n);
    },
  };
}
