import type { z } from "zod";
import type { Channel } from "../hub/channels.ts";
import type { Accepted, Hub } from "../hub/hub.ts";
import type { MaybePromise } from "../hub/maybe-promise.ts";
import { BrokerUnavailableError, unstoredOutcome } from "../hub/unavailable.ts";
import { fastSafeParse, type SafeParse } from "../protocol/fast-validator.ts";
import { fromCloudEvent, refusingProtoKey } from "../protocol/cloudevents.ts";
import type { CloudEventInput, EventInput, InputSchemas, LogInput } from "../protocol/inputs.ts";
import { problem, type Problem } from "../protocol/problem.ts";
import { SHUTTING_DOWN, storeUnavailable } from "../protocol/refusals.ts";
import type { Access } from "./access.ts";
import type { Inflight } from "./inflight.ts";
import type { Publisher } from "./publisher.ts";
import { allowsType, isEverything } from "../hub/filter.ts";
import type { Logger } from "../log/logger.ts";
import { holder, describe } from "./grant.ts";

/**
 * The one publish pipeline, whichever way a publish arrives (`POST /api/events|logs`, a WebSocket
 * `publish` frame): authorise, throttle, refuse while shutting down, count in flight, read, validate,
 * publish. Runtime-neutral (no Request, no socket): the edges resolve who publishes and what was sent,
 * and only translate the outcome into a status and body or an ack and error frame.
 *
 * Reading is the edge's (a body, a frame's field) and runs only once the publisher is admitted, so a
 * refused publisher costs no body read and no parse.
 */
export interface Publishing {
  /** Publishes what `read` yields on `channel` for `publisher`, or says why not. Never rejects for a refusal. */
  publish<E>(channel: Channel, publisher: Publisher, read: () => Read<E> | Promise<Read<E>>): Promise<PublishOutcome<E>>;
}

/**
 * What an edge read: one item or a batch, as parsed JSON (in stream-server's own format, or — `cloudevents`,
 * events only — in the CloudEvents JSON format), or its own refusal (a bad body, a bad frame).
 */
export type Read<E> = { kind: "items"; batch: boolean; input: unknown; cloudevents?: true } | { kind: "unread"; refusal: E };

/** The refusals the pipeline itself gives, each from the error catalogue, the same for every edge. */
export type PublishRefusal = Problem<"unauthorized" | "forbidden" | "rate_limited" | "shutting_down" | "unavailable">;

/**
 * How a publish ended. Invalid items come back as zod's issues, not as a problem: where they sat in what
 * was sent (the body, a frame's `event` or `events`) is the edge's, and so are their paths and code.
 */
export type PublishOutcome<E> =
  | { kind: "accepted"; accepted: Accepted[] }
  | { kind: "refused"; refusal: PublishRefusal }
  | { kind: "invalid"; issues: readonly z.core.$ZodIssue[] }
  /** Valid items the publisher's token may not publish (their `type`), each with its path in what was sent; nothing was stored. */
  | { kind: "forbidden"; refusal: Problem<"forbidden">; issues: readonly TypeIssue[] }
  | { kind: "unread"; refusal: E };

/** One item whose type the token does not allow, at `path` (`["type"]`, or `[1, "type"]` in a batch). */
export interface TypeIssue {
  path: (string | number)[];
  message: string;
}

export interface PublishingDeps {
  hub: Hub;
  schemas: InputSchemas;
  access: Access;
  inflight: Inflight;
  /** Names a JSON Web Token's sub on its publishes (debug) and refusals (info). */
  logger?: Logger;
}

interface Format {
  /**
   * The two halves of the channel's publish schema (one item | a batch), picked by what was sent:
   * cheaper than trying the union, and the issues name the fields of what was sent. Synchronous
   * (`safeParse`): the schemas have no async refinements.
   */
  item: SafeParse<unknown>;
  batch: SafeParse<unknown[]>;
  publish(items: unknown[]): MaybePromise<Accepted[]>;
}

/** A channel's formats: its own, and (events) CloudEvents. */
interface Route {
  own: Format;
  cloudevents?: Format;
}

/** Builds the pipeline over the hub, the access rules and the in-flight count. */
export function createPublishing({ hub, schemas, access, inflight, logger }: PublishingDeps): Publishing {
  const routes: Record<Channel, Route> = {
    events: {
      own: { item: fastSafeParse(schemas.EventInput), batch: fastSafeParse(schemas.EventBatch), publish: (items) => hub.publishEvents(items as EventInput[]) },
      cloudevents: {
        item: refusingProtoKey(fastSafeParse(schemas.CloudEventInput)),
        batch: refusingProtoKey(fastSafeParse(schemas.CloudEventBatch)),
        publish: (items) => hub.publishEvents((items as CloudEventInput[]).map(fromCloudEvent)),
      },
    },
    logs: { own: { item: fastSafeParse(schemas.LogInput), batch: fastSafeParse(schemas.LogBatch), publish: (items) => hub.publishLogs(items as LogInput[]) } },
  };

  /** The steps before any work: who, how often, and not while shutting down. */
  const admit = (channel: Channel, publisher: Publisher): PublishRefusal | undefined =>
    access.authorizePublisher(publisher, channel) ?? access.throttle(publisher.key) ?? (inflight.draining ? SHUTTING_DOWN : undefined);

  /**
   * A token's publish patterns, checked per item once the items are valid: a plain test per item, no
   * token work (it was verified when the request or the connection came in). Static tokens skip it.
   */
  const forbidden = (channel: Channel, publisher: Publisher, items: unknown[], batch: boolean): PublishOutcome<never> | undefined => {
    const allowed = publisher.grant?.write[channel];
    if (channel !== "events" || !allowed || isEverything(allowed)) return undefined;
    const issues: TypeIssue[] = [];
    items.forEach((item, i) => {
      const type = (item as EventInput).type;
      if (!allowsType(allowed, type)) issues.push({ path: batch ? [i, "type"] : ["type"], message: `${holder(publisher.grant!)} may not publish type ${JSON.stringify(type)} (it may publish ${describe(allowed)})` });
    });
    if (issues.length === 0) return undefined;
    logger?.info("publish refused: type not allowed by the token", { sub: publisher.grant!.sub, channel, refused: issues.length });
    const shown = issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    return { kind: "forbidden", refusal: problem("forbidden", `nothing was published: ${shown}${issues.length > 5 ? `; and ${issues.length - 5} more` : ""}`), issues };
  };

  return {
    async publish(channel, publisher, read) {
      const refusal = admit(channel, publisher);
      if (refusal) {
        if (publisher.grant?.sub !== undefined) logger?.info("publish refused", { sub: publisher.grant.sub, channel, error: refusal.error });
        return { kind: "refused", refusal };
      }
      const done = inflight.begin();
      try {
        // A frame's items are at hand (a plain value): awaiting only a body that is still being read
        // saves WebSocket publishes a turn of the microtask queue.
        const reading = read();
        const got = reading instanceof Promise ? await reading : reading;
        if (got.kind === "unread") return got;
        // An edge offers CloudEvents only where the channel takes them (events).
        const route = got.cloudevents ? routes[channel].cloudevents! : routes[channel].own;
        const parsed = got.batch ? route.batch(got.input) : route.item(got.input);
        if (!parsed.success) return { kind: "invalid", issues: parsed.error.issues };
        const items = got.batch ? (parsed.data as unknown[]) : [parsed.data];
        const refused = forbidden(channel, publisher, items, got.batch);
        if (refused) return refused;
        const storing = route.publish(items);
        const accepted = storing instanceof Promise ? await storing : storing;
        if (publisher.grant?.sub !== undefined && logger?.enabled("debug")) logger.debug("published", { sub: publisher.grant.sub, channel, items: accepted.length });
        return { kind: "accepted", accepted };
      } catch (err) {
        // The store's refusal is an answer like the others; anything else is a bug, the edge's to report.
        if (err instanceof BrokerUnavailableError) return { kind: "refused", refusal: storeUnavailable(err.message, unstoredOutcome(err)) };
        throw err;
      } finally {
        done();
      }
    },
  };
}
