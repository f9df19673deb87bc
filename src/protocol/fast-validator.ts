import type { z } from "zod";

/**
 * `safeParse` with a fast path, compiled once from the zod schema itself (which stays the one source of
 * truth). zod runs every check through its generic machinery; per event on the publish path that cost
 * more than storing and delivering the event (bench: `http`, batch of 100). The compiled predicate
 * handles the plain JSON case: it answers "valid" only when zod would accept the value and return it
 * unchanged, so the value is used as is. Anything else — every invalid value, and every schema feature
 * it does not know — goes to zod, which also words every error.
 */
export type SafeParse<T> = (value: unknown) => z.ZodSafeParseResult<T>;

/** Builds `schema.safeParse` with the compiled fast path in front (zod alone when the schema cannot be compiled). */
export function fastSafeParse<T extends z.ZodType>(schema: T): SafeParse<z.output<T>> {
  const accepts = compile(schema as unknown as Schema);
  if (!accepts) return (value) => schema.safeParse(value);
  return (value) => (accepts(value) ? { success: true, data: value as z.output<T> } : schema.safeParse(value));
}

/** True when the value certainly passes the schema and zod would return an equal value. */
export type Accepts = (value: unknown) => boolean;

/**
 * The parts of zod 4's schema definitions (`_zod.def`, as its JSON Schema generator reads them) used here.
 * Internals, not API: package.json pins zod to the minor version this was written against (~4.6); before
 * raising it, run test/unit/fast-validator.test.ts, which fails when a production schema no longer compiles.
 */
interface Schema {
  _zod: { def: Def };
}

interface Def {
  type: string;
  checks?: Schema[];
  coerce?: boolean;
  // strings formats (z.iso.datetime is a schema and its own check); checks
  format?: string;
  pattern?: RegExp;
  check?: string;
  minimum?: number;
  maximum?: number;
  fn?: (value: unknown) => unknown;
  // wrappers and containers
  innerType?: Schema;
  element?: Schema;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  options?: Schema[];
  values?: unknown[];
  entries?: Record<string, unknown>;
}

/** String formats whose whole check is their pattern (see zod's $ZodCheckStringFormat). */
const PATTERN_FORMATS = new Set(["regex", "datetime", "date", "time"]);

/** Compiles a schema to a predicate, or undefined when it uses something not handled here. */
export function compile(schema: Schema): Accepts | undefined {
  const def = schema._zod.def;
  const base = compileType(def);
  if (!base) return undefined;
  const checks: Accepts[] = [];
  if (def.type === "string" && def.format !== undefined) {
    const own = compileCheck(def);
    if (!own) return undefined;
    checks.push(own);
  }
  for (const check of def.checks ?? []) {
    const compiled = compileCheck(check._zod.def);
    if (!compiled) return undefined;
    checks.push(compiled);
  }
  if (checks.length === 0) return base;
  return (value) => {
    if (!base(value)) return false;
    for (const check of checks) if (!check(value)) return false;
    return true;
  };
}

function compileType(def: Def): Accepts | undefined {
  if (def.coerce) return undefined; // zod would return a converted value
  switch (def.type) {
    case "unknown":
    case "any":
      return () => true;
    case "string":
      return (v) => typeof v === "string";
    case "number":
      return (v) => typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return (v) => typeof v === "boolean";
    case "literal": {
      const values = new Set(def.values);
      return (v) => values.has(v);
    }
    case "enum": {
      const values = Object.values(def.entries ?? {});
      if (!values.every((v) => typeof v === "string")) return undefined; // numeric TS enums: zod filters their reverse keys
      const set = new Set<unknown>(values);
      return (v) => set.has(v);
    }
    case "optional": {
      const inner = compile(def.innerType!);
      return inner && ((v) => v === undefined || inner(v));
    }
    case "array": {
      const element = compile(def.element!);
      if (!element) return undefined;
      return (v) => {
        if (!Array.isArray(v)) return false;
        // Indexed, not every(): a hole in a sparse array is an undefined element to zod.
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case "union": {
      const options = def.options!.map(compile);
      if (options.some((o) => !o)) return undefined;
      return (v) => options.some((o) => o!(v));
    }
    case "custom":
      // z.custom(fn): a schema that is its own check, as a refine is (zod returns the value as is).
      return compileCheck(def);
    case "object":
      return compileObject(def);
    case "record":
      return compileRecord(def);
    default:
      return undefined;
  }
}

/**
 * Strict objects (unknown keys refused) and stripping ones (unknown keys dropped) alike: accepted as is only
 * with no key outside the shape, so zod's output would hold the same keys and values.
 */
function compileObject(def: Def): Accepts | undefined {
  if (def.catchall && def.catchall._zod.def.type !== "never") return undefined;
  const fields: Array<{ key: string; accepts: Accepts; optional: boolean }> = [];
  for (const [key, schema] of Object.entries(def.shape!)) {
    // An inherited name (`constructor`) would look present on every object.
    if (key in Object.prototype) return undefined;
    const accepts = compile(schema);
    if (!accepts) return undefined;
    fields.push({ key, accepts, optional: schema._zod.def.type === "optional" });
  }
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    let present = 0;
    for (const { key, accepts, optional } of fields) {
      const value = (v as Record<string, unknown>)[key];
      if (value === undefined) {
        if (!optional) return false;
      } else {
        if (!accepts(value)) return false;
        present++;
      }
    }
    // Any other own key (or a key holding undefined) and zod decides.
    return Object.keys(v).length === present;
  };
}

/** Records with plain string keys, of JSON objects (zod wants a plain object). */
function compileRecord(def: Def): Accepts | undefined {
  const key = def.keyType!._zod.def;
  if (key.type !== "string" || key.format !== undefined || key.coerce || (key.checks?.length ?? 0) > 0) return undefined;
  const value = compile(def.valueType!);
  if (!value) return undefined;
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    for (const k of Object.keys(v)) {
      // zod's output would set a prototype, not a key.
      if (k === "__proto__") return false;
      if (!value((v as Record<string, unknown>)[k])) return false;
    }
    return true;
  };
}

function compileCheck(def: Def): Accepts | undefined {
  switch (def.check ?? (def.format !== undefined ? "string_format" : undefined)) {
    case "min_length": {
      const min = def.minimum!;
      return (v) => (v as { length: number }).length >= min;
    }
    case "max_length": {
      const max = def.maximum!;
      return (v) => (v as { length: number }).length <= max;
    }
    case "string_format": {
      const pattern = def.pattern;
      if (!pattern || !PATTERN_FORMATS.has(def.format!)) return undefined;
      // lastIndex only matters (and is only reset, as zod does) for global or sticky patterns.
      if (!pattern.global && !pattern.sticky) return (v) => pattern.test(v as string);
      return (v) => {
        pattern.lastIndex = 0;
        return pattern.test(v as string);
      };
    }
    case "custom": {
      // .refine(fn): passes when fn returns true; anything else (false, a promise) is zod's to judge.
      const fn = def.fn;
      return typeof fn === "function" ? (v) => fn(v) === true : undefined;
    }
    default:
      return undefined;
  }
}
