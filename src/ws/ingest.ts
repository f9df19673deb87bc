import type { Publisher } from "../access/publisher.ts";
import type { PublishOutcome, Publishing, Read } from "../access/publishing.ts";
import type { Channel } from "../hub/channels.ts";
import type { Logger } from "../log/logger.ts";
import type { ControlFrame, PublishFrame } from "../protocol/frames.ts";
import { describeIssues, flattenIssues } from "../protocol/issues.ts";
import { ackOf } from "./ack.ts";

/**
 * Publishing over a WebSocket: `{"kind":"publish","event":{…}}` or `{"kind":"publish","events":[…]}`,
 * optionally with `"ack": id`. The frame goes through the publish pipeline that `POST /api/events` uses
 * (`../access/publishing.ts`: the same token rules, rate, shutdown refusal, schemas and batch limit);
 * this file reads the frame's events and turns the outcome into an `ack` frame (only when asked for) or
 * an `error` frame (always). Runtime-neutral: it returns the frame to send and leaves the socket to the caller.
 */
export type Ingest = (frame: PublishFrame, channel: Channel, publisher: Publisher) => Promise<ControlFrame | undefined>;

export interface IngestDeps {
  publishing: Publishing;
  logger: Logger;
}

type ErrorFrame = ControlFrame & { kind: "error" };

/** Creates the publish-frame handler. */
export function createIngest({ publishing, logger }: IngestDeps): Ingest {
  return function ingest(frame, channel, publisher) {
    const id = frame.ack !== undefined ? { id: frame.ack } : {};
    const fail = (code: ErrorFrame["code"], message: string, extra: object = {}): ErrorFrame => ({ kind: "error", code, message, ...id, ...extra });

    /** The frame's events, once the pipeline has admitted the publisher. */
    const read = (): Read<ErrorFrame> => {
      if (channel !== "events") {
        return { kind: "unread", refusal: fail("unsupported", "publish frames carry events: send them on /ws or /api/stream (log lines go to POST /api/logs)") };
      }
      const single = frame.event !== undefined;
      if (single === (frame.events !== undefined)) {
        return { kind: "unread", refusal: fail("bad_frame", 'a publish frame holds either "event" (one event) or "events" (an array of events), not both and not neither') };
      }
      return { kind: "items", batch: !single, input: single ? frame.event : frame.events };
    };

    const answer = (outcome: PublishOutcome<ErrorFrame>): ControlFrame | undefined => {
      switch (outcome.kind) {
        case "accepted":
          return frame.ack === undefined ? undefined : ackOf(frame.ack, outcome.accepted);
        case "refused":
          return fail(outcome.refusal.error, outcome.refusal.message);
        case "invalid": {
          const issues = flattenIssues(outcome.issues, [frame.event !== undefined ? "event" : "events"]);
          return fail("invalid_event", `publish frame failed validation, nothing was published: ${describeIssues(issues)}`, { issues });
        }
        case "forbidden": {
          const issues = flattenIssues(outcome.issues, [frame.event !== undefined ? "event" : "events"]);
          return fail("forbidden", `publish frame refused, nothing was published: ${describeIssues(issues)}`, { issues });
        }
        case "unread":
          return outcome.refusal;
      }
    };

    // Never rejects: whatever goes wrong, the publisher gets an error frame.
    return publishing.publish(channel, publisher, read).then(answer, (err: unknown) => {
      logger.error("publish over WebSocket failed", { error: err });
      return fail("unavailable", "the server failed to publish; some events may not have been stored: retry later");
    });
  };
}
