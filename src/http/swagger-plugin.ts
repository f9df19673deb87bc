/**
 * A Swagger UI plugin, sent to the browser as its source (`String(noTryOutForStreams)`), so it must
 * not use anything from this module. It removes "Try it out" from operations whose answer is a stream
 * that does not end — a 101 (WebSocket) or a text/event-stream response: Swagger UI would wait for the
 * end forever, spinning, and keep the connection open. It reads that from the document, so a new
 * streaming operation needs nothing here.
 */
// Swagger UI's state is Immutable.js, untyped here.
type Immutable = any;

export function noTryOutForStreams() {
  const endless = (response: Immutable, status: string) => status === "101" || Boolean(response.getIn(["content", "text/event-stream"]));
  return {
    statePlugins: {
      spec: {
        selectors: {
          allowTryItOutFor: (state: Immutable, path: string, method: string) => {
            const responses = state.getIn(["json", "paths", path, method, "responses"]);
            return !responses || !responses.some(endless);
          },
        },
      },
    },
  };
}
