/**
 * A deadline for a promise. Here, in the core, because the Redis link bounds each answer with it and the
 * server's shutdown bounds its waits with it; neither may import the other.
 */

/** Resolves with true when `promise` settles within `ms`, false when the time runs out first. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
