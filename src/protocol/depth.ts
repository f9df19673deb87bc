/**
 * How deeply a JSON value nests, counted without recursion and only up to `max`: a body of a million
 * `[` parses fine but would overflow the stack when serialised, so the validator stops it first.
 */
export function nestsWithin(value: unknown, max: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const v of level) {
      if (v === null || typeof v !== "object") continue;
      if (depth >= max) return false;
      for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === "object") next.push(child);
    }
    level = next;
  }
  return true;
}
