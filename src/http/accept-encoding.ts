/** The content codings the server compresses into; the order is its preference when the client likes them equally. */
export const CODINGS = ["br", "gzip"] as const;
export type Coding = (typeof CODINGS)[number];

/**
 * The coding to answer with, from a request's Accept-Encoding (RFC 9110 §12.5.3): the client's highest
 * q-value among CODINGS wins, `*` stands for any coding not listed, q=0 refuses. Uncompressed ("identity")
 * when there is no header, when nothing offered is accepted, or when the client asks for identity by a
 * higher q than any coding. Never a 406: identity is always an answer a client can read.
 */
export function chooseCoding(header: string | null | undefined): Coding | "identity" {
  if (!header) return "identity";
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(",")) {
    const [name = "", ...params] = part.split(";").map((s) => s.trim());
    const q = params.find((p) => p.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (name && Number.isFinite(weight)) weights.set(name, weight);
  }
  const weightOf = (coding: string) => weights.get(coding) ?? weights.get("*") ?? 0;
  let best: Coding | undefined;
  for (const coding of CODINGS) if (weightOf(coding) > 0 && (!best || weightOf(coding) > weightOf(best))) best = coding;
  if (!best) return "identity";
  return (weights.get("identity") ?? 0) > weightOf(best) ? "identity" : best;
}
