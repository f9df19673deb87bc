/**
 * Channels are the server's two streams. Topic names (Bun pub/sub) are derived here and only here,
 * so no other file spells a topic string.
 */
export const CHANNELS = ["events", "logs"] as const;

export type Channel = (typeof CHANNELS)[number];

/** The Bun pub/sub topic every subscriber of a channel (without filters) listens on. */
export function channelTopic(channel: Channel): string {
  return channel;
}
