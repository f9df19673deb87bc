/** A WebSocket client for tests: every frame is queued, and tests await frames instead of sleeping. */
export interface TestSocket {
  ws: WebSocket;
  /** Raw text of every frame received so far. */
  raw: string[];
  /** The next frame not yet taken, parsed. */
  next(): Promise<any>;
  /** Takes frames until one matches; returns it. */
  nextMatching(predicate: (frame: any) => boolean): Promise<any>;
  /** Takes the next `n` frames. */
  take(n: number): Promise<any[]>;
  send(value: unknown): void;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Opens a WebSocket and waits until it is open (rejects if the server refuses it). */
export function connect(url: string, options?: { headers?: Record<string, string> }): Promise<TestSocket> {
  const ws = new WebSocket(url, options as any);
  const raw: string[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  let closeInfo: { code: number; reason: string } | undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (e) => {
      closeInfo = { code: e.code, reason: e.reason };
      resolve(closeInfo);
      wake?.();
    });
  });
  ws.addEventListener("message", (e) => {
    raw.push(typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer));
    wake?.();
  });

  const next = async (): Promise<any> => {
    while (taken >= raw.length) {
      if (closeInfo) throw new Error(`socket closed (${closeInfo.code} ${closeInfo.reason}) while waiting for frame ${taken + 1}`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return JSON.parse(raw[taken++]!);
  };

  const socket: TestSocket = {
    ws,
    raw,
    next,
    async nextMatching(predicate) {
      for (;;) {
        const frame = await next();
        if (predicate(frame)) return frame;
      }
    },
    async take(n) {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await next());
      return out;
    },
    send: (value) => ws.send(typeof value === "string" ? value : JSON.stringify(value)),
    closed,
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", () => resolve(socket), { once: true });
    ws.addEventListener("error", () => reject(new Error(`could not connect to ${url}`)), { once: true });
  });
}

/** Opens a WebSocket and takes its hello frame, failing if the first frame is anything else. */
export async function connectPastHello(url: string): Promise<TestSocket> {
  const ws = await connect(url);
  const first = await ws.next();
  if (first.kind !== "hello") throw new Error(`expected hello as the first frame on ${url}, got ${JSON.stringify(first)}`);
  return ws;
}
