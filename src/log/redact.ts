/** What a log line shows in place of a secret (the Redis URL's password is hidden the same way). */
export const REDACTED = "***";

/**
 * A URL, path or query string with the value of every `token` parameter replaced by `***`. Logs go
 * to the `logs` channel, which every subscriber may read: a `?token=` logged as sent would hand them
 * the publish token. Names are decoded the way the server reads them (`%74oken` is `token` too); every
 * other parameter is kept exactly as sent, so the log still shows what was wrong with the query.
 */
export function redactToken(urlOrQuery: string): string {
  const at = urlOrQuery.indexOf("?");
  const params = urlOrQuery.slice(at + 1).split("&");
  return urlOrQuery.slice(0, at + 1) + params.map((p) => (isToken(p) ? `token=${REDACTED}` : p)).join("&");
}

const isToken = (param: string) => new URLSearchParams(param).has("token");

const TOKEN_FIELD = /("token"\s*:\s*")(?:[^"\\]|\\.)*"/g;

/**
 * A client frame's text with the value of every `"token"` field replaced by `***`: a refresh frame carries
 * a credential, and frames are logged at debug (which the `logs` channel may carry).
 */
export function redactTokenField(text: string): string {
  return text.includes('"token"') ? text.replace(TOKEN_FIELD, `$1${REDACTED}"`) : text;
}
