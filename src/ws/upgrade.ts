import type { Server } from "bun";
import type { Access, Refusal } from "../access/access.ts";
import type { Logger } from "../log/logger.ts";
import { redactToken } from "../log/redact.ts";
import { problem, problemResponse } from "../protocol/problem.ts";
import { parseStreamQuery } from "../protocol/subscription.ts";
import { validationProblem } from "../protocol/validation-problem.ts";
import type { Admission } from "../access/admission.ts";
import type { Clients } from "../access/client.ts";
import type { SocketData } from "./socket-data.ts";
import { endpointFor, WS_PATHS } from "../protocol/endpoints.ts";
import { presentedToken } from "../access/tokens.ts";
import { narrow } from "../access/grant.ts";

export interface UpgradeDeps {
  access: Access;
  admission: Admission;
  clients: Clients;
  logger: Logger;
}

/**
 * Decides a WebSocket handshake: the path must be an endpoint, the origin allowed, the token valid, the
 * connection limits not reached and the query string (filters, resume point) valid. Every refusal happens before the upgrade, as a status and JSON body
 * a browser's devtools or `wscat` shows; `undefined` means upgraded. The token is checked here, once: its
 * grant narrows the subscription's filter (so native topics enforce it) and names who publishes.
 */
export function createUpgrade({ access, admission, clients, logger }: UpgradeDeps) {
  return async function upgrade(req: Request, srv: Server<SocketData>): Promise<Response | undefined> {
    const url = new URL(req.url);
    const path = url.pathname;
    const remote = clients.address(req, srv);
    const endpoint = endpointFor(path);
    if (!endpoint) {
      logger.warn("WebSocket upgrade refused: no such endpoint", { path, remote });
      return problemResponse(problem("not_found", `no WebSocket endpoint at ${path}; connect to one of ${WS_PATHS.join(", ")}`, {
        details: { path, websocketEndpoints: WS_PATHS },
      }));
    }
    const refused = (refusal: Refusal, sub?: string) => {
      logger.warn("WebSocket upgrade refused", { path, remote, sub, status: refusal.status, error: refusal.message });
      return problemResponse(refusal);
    };
    const origin = access.checkOrigin(req, () => clients.origin(req, url, srv));
    if (origin) return refused(origin);
    const checked = await access.connect(presentedToken(req, url, true), () => remote, `reading ${path}`);
    if (checked.refusal) return refused(checked.refusal);
    const { grant, publisher } = checked;
    const limited = admission.check(remote);
    if (limited) return refused(limited, grant.sub);
    const query = parseStreamQuery(endpoint.channel, url.searchParams);
    if (!query.ok) {
      logger.warn("WebSocket upgrade refused: bad query string", { path, remote, query: redactToken(url.search).slice(0, 500) });
      return problemResponse(validationProblem("query", query.error.issues));
    }
    const filter = narrow(grant, endpoint.channel, query.request.filter);
    if ("error" in filter) {
      return refused(filter, grant.sub);
    }
    const data: SocketData = {
      path: endpoint.path, channel: endpoint.channel, remote, subscription: { ...query.request, filter }, grant, publisher,
    };
    if (srv.upgrade(req, { data })) return undefined;
    logger.warn("WebSocket upgrade failed", { path, remote });
    return problemResponse(problem("bad_upgrade", "the WebSocket handshake was malformed (missing Sec-WebSocket-Key or version?)"));
  };
}
