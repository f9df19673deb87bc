import { z } from "@hono/zod-openapi";

/** Accepted on every read besides its own parameters: the subscribe token, which access/ checks before the query. */
const ALWAYS = ["token"] as const;

/** The longest unknown name quoted back: the query string is the client's text, not ours to echo in full. */
const MAX_SHOWN = 64;

/**
 * A query schema that refuses parameters it does not know. A typo (`?type=` for `types`) used to be
 * dropped, so the client got an unfiltered stream and no hint; now it is a validation issue naming the
 * parameter and the valid ones. A loose object plus a check rather than zod's strict mode: `token`
 * must pass without being documented as each route's parameter, and the message must list what exists.
 */
export function closedQuery<S extends z.ZodRawShape>(shape: S) {
  const names: string[] = [...Object.keys(shape), ...ALWAYS];
  const known = new Set(names);
  const valid = `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return z.looseObject(shape).check(function unknownParameters(ctx) {
    for (const key of Object.keys(ctx.value)) {
      if (known.has(key)) continue;
      const shown = key.slice(0, MAX_SHOWN);
      const near = names.find((n) => Math.abs(n.length - key.length) === 1 && (n.startsWith(key) || key.startsWith(n)));
      ctx.issues.push({
        code: "custom",
        input: ctx.value[key],
        path: [shown],
        message: `unknown parameter ${JSON.stringify(shown)}${near ? ` (did you mean "${near}"?)` : ""}; the parameters here are ${valid}`,
      });
    }
  });
}
