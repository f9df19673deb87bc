/** One Server-Sent Events message: its fields, or a comment line. */
export interface SseMessage {
  id?: string;
  data?: string;
  comment?: string;
}

/** A Server-Sent Events client for tests: messages are queued and awaited, never slept for. */
export interface TestEventStream {
  status: number;
  headers: Headers;
  /** The next message (comments included). */
  next(): Promise<SseMessage>;
  /** The next data message, its JSON parsed, with its id. */
  frame(): Promise<any>;
  close(): void;
}

/** Opens `url` as an event stream (a plain fetch reading the body as it comes). */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<TestEventStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const queue: SseMessage[] = [];

  const next = async (): Promise<SseMessage> => {
    for (;;) {
      if (queue.length > 0) return queue.shift()!;
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) message.comment = line.slice(1).trim();
          else if (line.startsWith("id: ")) message.id = line.slice(4);
          else if (line.startsWith("data: ")) message.data = (message.data === undefined ? "" : message.data + "\n") + line.slice(6);
        }
        queue.push(message);
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`event stream ended; unparsed: ${JSON.stringify(buffer)}`);
      buffer += value;
    }
  };

  return {
    status: res.status,
    headers: res.headers,
    next,
    async frame() {
      for (;;) {
        const m = await next();
        if (m.data !== undefined) return { ...JSON.parse(m.data), ...(m.id !== undefined ? { _id: m.id } : {}) };
      }
    },
    close: () => abort.abort(),
  };
}
