/**
 * Whether a JSON value nests at most `max` levels of objects and arrays: a body of a million `[` parses
 * fine but would overflow the stack when serialised, so the validator stops it first. The walk recurses
 * only `max` deep (at most 1000, see --max-depth) and stops there, so it cannot overflow itself.
 */
export function nestsWithin(value: unknown, max: number): boolean {
  if (value === null || typeof value !== "object") return true;
  if (max <= 0) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!nestsWithin(value[i], max - 1)) return false;
    return true;
  }
  // for…in, not Object.values(): no array per object, on every publish (JSON objects inherit no keys).
  for (const key in value) if (!nestsWithin((value as Record<string, unknown>)[key], max - 1)) return false;
  return true;
}
