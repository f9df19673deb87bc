/** A value, or a promise of it: what a step returns when it can often answer without a turn of the event loop. */
export type MaybePromise<T> = T | Promise<T>;

/** Applies `f` to the value at once, or once the promise settles: no microtask when there is nothing to wait for. */
export function then<T, R>(value: MaybePromise<T>, f: (v: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
