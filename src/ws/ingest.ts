import type { Channel } from "../hub/channels.ts";
import type { Hub } from "../hub/hub.ts";
import { BrokerUnavailableError, unstoredOutcome } from "../hub/unavailable.ts";
import type { Logger } from "../log/logger.ts";
import type { ControlFrame, PublishFrame } from "../protocol/frames.ts";
import { fastSafeParse } from "../protocol/fast-validator.ts";
import type { EventInput, InputSchemas } from "../protocol/inputs.ts";
import { describeIssues, flattenIssues } from "../protocol/issues.ts";
import { ackOf } from "./ack.ts";

/**
 * Publishing over a WebSocket: `{"kind":"publish","event":{…}}` or `{"kind":"publish","events":[…]}`,
 * optionally with `"ack": id`. The events go through the same schemas and batch limit as
 * `POST /api/events`; the answer is an `ack` frame (only when asked for) or an `error` frame (always).
 * Runtime-neutral: it returns the frame to send and leaves the socket to the caller.
 *
 * Authorisation (the publish token) is the caller's: it checks before handing a frame over.
 */
export type Ingest = (frame: PublishFrame, channel: Channel) => Promise<ControlFrame | undefined>;

export interface IngestDeps {
  hub: Hub;
  schemas: InputSchemas;
  logger: Logger;
}

/** Creates the publish-frame handler. */
export function createIngest({ hub, schemas, logger }: IngestDeps): Ingest {
  const parseEvent = fastSafeParse(schemas.EventInput);
  const parseBatch = fastSafeParse(schemas.EventBatch);
  return function ingest(frame, channel) {
    // Never rejects: whatever goes wrong, the publisher gets an error frame.
    return handle(frame, channel).catch((err: unknown) => {
      logger.error("publish over WebSocket failed", { error: err });
      const id = frame.ack;
      return { kind: "error", code: "unavailable", message: "the server failed to publish; some events may not have been stored: retry later", ...(id !== undefined ? { id } : {}) };
    });
  };

  async function handle(frame: PublishFrame, channel: Channel): Promise<ControlFrame | undefined> {
    const id = frame.ack;
    const fail = (code: "bad_frame" | "invalid_event" | "unsupported" | "unavailable", message: string, extra: object = {}): ControlFrame =>
      ({ kind: "error", code, message, ...(id !== undefined ? { id } : {}), ...extra });

    if (channel !== "events") {
      return fail("unsupported", "publish frames carry events: send them on /ws or /api/stream (log lines go to POST /api/logs)");
    }
    const single = frame.event !== undefined;
    if (single === (frame.events !== undefined)) {
      return fail("bad_frame", 'a publish frame holds either "event" (one event) or "events" (an array of events), not both and not neither');
    }
    const parsed = single ? parseEvent(frame.event) : parseBatch(frame.events);
    if (!parsed.success) {
      const issues = flattenIssues(parsed.error.issues, [single ? "event" : "events"]);
      return fail("invalid_event", `publish frame failed validation, nothing was published: ${describeIssues(issues)}`, { issues });
    }
    const inputs: EventInput[] = single ? [parsed.data as EventInput] : (parsed.data as EventInput[]);
    try {
      const accepted = await hub.publishEvents(inputs);
      return id === undefined ? undefined : ackOf(id, accepted);
    } catch (err) {
      if (err instanceof BrokerUnavailableError) return fail("unavailable", `${err.message}; ${unstoredOutcome(err)}`);
      throw err;
    }
  }
}
