import { problem, type Problem } from "../protocol/problem.ts";

/** The 413 for a body over --max-body-bytes, the same from the publish endpoint and the Hono routes. */
export function bodyTooLarge(maxBytes: number): Problem {
  return problem("body_too_large", `request body is larger than ${maxBytes} bytes (--max-body-bytes); split it into smaller batches`);
}

/**
 * Reads a request body as text, at most `maxBytes` of it; undefined when it is larger. A declared
 * Content-Length over the limit is refused before reading; a chunked body is read only up to it.
 * `declared` is the Content-Length header, for a caller that has read it already.
 */
export function readBodyText(req: Request, maxBytes: number, declared = req.headers.get("content-length")): Promise<string | undefined> {
  // Not async itself: the common case (a declared length) is one await in the caller, not two.
  if (declared !== null) return Number(declared) > maxBytes ? Promise.resolve(undefined) : req.text();
  return readChunked(req, maxBytes).then((bytes) => bytes?.toString("utf8"));
}

/** Reads a request body as bytes (binary-mode CloudEvents), at most `maxBytes`, as `readBodyText` does. */
export async function readBodyBytes(req: Request, maxBytes: number, declared = req.headers.get("content-length")): Promise<Uint8Array | undefined> {
  if (declared !== null) return Number(declared) > maxBytes ? undefined : req.bytes();
  return readChunked(req, maxBytes);
}

async function readChunked(req: Request, maxBytes: number): Promise<Buffer | undefined> {
  if (req.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    if (size > maxBytes) return undefined; // leaving the loop cancels the stream: the rest is never read
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
