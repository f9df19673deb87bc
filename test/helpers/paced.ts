/**
 * Reads at a steady speed, as a client on a slow link does: after each `bytesPerSecond / 100` bytes it
 * stops reading from the kernel until that 10 ms slot is over, so the server sees real TCP backpressure.
 * `pause`/`resume` are the socket's; `bytes` is what the caller counts as read.
 */
export function pacer(bytesPerSecond: number, socket: { pause(): void; resume(): void }) {
  const slotMs = 10;
  const perSlot = Math.max(1, Math.floor((bytesPerSecond * slotMs) / 1000));
  let slotStart = performance.now();
  let inSlot = 0;
  return {
    /** Counts `bytes` just read; waits out the slot once its share is used. */
    async read(bytes: number) {
      inSlot += bytes;
      if (inSlot < perSlot) return;
      socket.pause();
      const wait = slotStart + slotMs - performance.now();
      if (wait > 0) await Bun.sleep(wait); // the pace itself: there is no event to wait for
      socket.resume();
      slotStart = performance.now();
      inSlot = 0;
    },
  };
}
