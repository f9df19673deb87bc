import WebSocket from "ws";

/**
 * A WebSocket opened from a chosen local address. Linux routes all of 127.0.0.0/8 to the loopback
 * interface, so 127.0.0.2 and 127.0.0.3 are real, distinct clients of a server on 127.0.0.1: how tests
 * show per-address limits and trusted proxies without forging anything.
 */
export interface SocketFrom {
  /** 101 when upgraded, else the refusal's status. */
  status: number;
  /** The refusal's JSON body. */
  body?: any;
  /** The first frame (hello), once upgraded. */
  hello?: any;
  close(): void;
}

/** Connects to `url` from local address `from` and resolves with the hello frame or the refusal. */
export function upgradeFrom(from: string, url: string, headers: Record<string, string> = {}): Promise<SocketFrom> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress: from, headers });
    const close = () => ws.terminate();
    ws.once("message", (data) => resolve({ status: 101, hello: JSON.parse(String(data)), close }));
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, close });
        close();
      });
    });
    ws.once("close", (code, reason) => reject(new Error(`WebSocket from ${from} to ${url} closed (${code} ${reason}) before its first frame`)));
    ws.once("error", (err) => reject(err));
  });
}
