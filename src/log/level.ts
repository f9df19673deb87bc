/**
 * Log levels, least severe first. Defined here, at the bottom of the house, because the logger, the
 * hub's log filters and the wire schemas all need them, and only the schemas know a wire format.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
