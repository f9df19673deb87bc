import type { Socket } from "bun";

/**
 * A minimal keep-alive HTTP/1.1 client on raw TCP, one request in flight per connection:
 * requests are prebuilt bytes and responses are only framed (status + Content-Length), never decoded.
 */

export interface RawHttpConn {
  /** Sends the request; resolves with the response status once the whole response has arrived. */
  request(bytes: Uint8Array): Promise<number>;
  close(): void;
}

const encoder = new TextEncoder();

/** Prebuilds a POST with a JSON body. */
export function jsonPost(host: string, port: number, path: string, body: string, headers: Record<string, string> = {}): Uint8Array {
  const payload = encoder.encode(body);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const head = encoder.encode(
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n${extra}\r\n`,
  );
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** Opens one keep-alive connection. */
export async function openRawHttp(host: string, port: number): Promise<RawHttpConn> {
  let text = ""; // response bytes so far, as latin1 (headers are ASCII; the body is only counted)
  let waiting: { resolve: (status: number) => void; reject: (err: Error) => void } | undefined;
  let out: Uint8Array | undefined;

  const take = () => {
    const end = text.indexOf("\r\n\r\n");
    if (end < 0 || !waiting) return;
    const head = text.slice(0, end);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m) {
      waiting.reject(new Error(`response without Content-Length: ${head.split("\r\n")[0]}`));
      return;
    }
    const total = end + 4 + Number(m[1]);
    if (text.length < total) return;
    const status = Number(head.slice(9, 12));
    text = text.slice(total);
    const w = waiting;
    waiting = undefined;
    w.resolve(status);
  };

  const latin1 = new TextDecoder("latin1");
  const sock: Socket<undefined> = await Bun.connect({
    hostname: host,
    port,
    socket: {
      data(_s, chunk) {
        text += latin1.decode(chunk);
        take();
      },
      drain(s) {
        if (!out) return;
        const n = s.write(out);
        out = n < out.length ? out.subarray(Math.max(n, 0)) : undefined;
      },
      close() {
        waiting?.reject(new Error("server closed the connection"));
      },
      error(_s, err) {
        waiting?.reject(err);
      },
    },
  });

  sock.setNoDelay(true);
  return {
    request(bytes) {
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        const n = sock.write(bytes);
        if (n < bytes.length) out = bytes.subarray(Math.max(n, 0));
      });
    },
    close: () => sock.end(),
  };
}
