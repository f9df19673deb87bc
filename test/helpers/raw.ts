/** Sends raw HTTP/1.1 text over TCP and returns status, headers and body: for WebSocket handshakes that fetch cannot send. */
export async function rawRequest(port: number, head: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const chunks: Uint8Array[] = [];
  const text = await new Promise<string>((resolve, reject) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(head.replace(/\n/g, "\r\n") + "\r\n\r\n");
        },
        data(socket, data) {
          chunks.push(new Uint8Array(data));
          const so_far = Buffer.concat(chunks).toString();
          const [headers, body = ""] = so_far.split("\r\n\r\n");
          const length = /content-length:\s*(\d+)/i.exec(headers ?? "");
          const switched = headers?.startsWith("HTTP/1.1 101") && so_far.includes("\r\n\r\n");
          if (switched || (length && Buffer.byteLength(body) >= Number(length[1]))) {
            socket.end();
            resolve(so_far);
          }
        },
        close() {
          resolve(Buffer.concat(chunks).toString());
        },
        error(_socket, err) {
          reject(err);
        },
      },
    }).catch(reject);
  });
  const [head_, body = ""] = text.split("\r\n\r\n");
  const [statusLine, ...headerLines] = (head_ ?? "").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine?.split(" ")[1]), headers, body };
}

/** The request head of a WebSocket handshake on `path`. */
export function upgradeHead(path: string, extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...extra,
  ].join("\n");
}
