/**
 * Credentials never leave the process in text: RPC and API URLs often carry a key (`/v3/<key>`,
 * `?apikey=…`, `user:pass@`). Everything Ballast prints, logs, journals or labels goes through these.
 */

const CENSOR = "***";
/**
 * Path segments kept as they are: versions (`v3`, `v6.0`), numbers (chain ids) and short lower-case words
 * (`eth`, `swap`, `mainnet-archive`). Anything else — hex, base58, UUIDs, long or mixed-case tokens, a word of
 * nine letters or more — may be a key and is redacted.
 */
const PLAIN_SEGMENT = /^(?:v\d+(?:\.\d+)*|\d{1,12}|[a-z]{1,8}(?:[-_.][a-z]{1,8})*)$/;
/** Every http(s)/ws(s) URL in a text, up to whitespace, a quote or a closing bracket. */
const URL_IN_TEXT = /\b(?:https?|wss?):\/\/[^\s"'`<>)\]},]+/gi;
/** Object keys whose values are secrets whatever they hold (and environment names such as `RPC_API_KEY`). */
const SECRET_KEY = /^(?:private_?key|api_?key|password|passphrase|secret|mnemonic|authorization)$/i;
const SECRET_ENV = /_(?:KEY|TOKEN|SECRET|PASSWORD)$/;

/**
 * The URL without credentials: user-info dropped, every query value and every path segment that is not
 * plainly a word, a version or a number replaced by `***`. Scheme, host, port and ordinary path segments stay, so the URL can still be recognised.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "<invalid url>";
  }
  const path = u.pathname
    .split("/")
    .map((s) => (s === "" || PLAIN_SEGMENT.test(s) ? s : CENSOR))
    .join("/");
  const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${CENSOR}`).join("&");
  const port = u.port ? `:${u.port}` : "";
  // `http://host:1` and `http://host:1/` both parse to the path "/": print it only if the text had it.
  const root = path === "/" && !query && !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\//i.test(url) ? "" : path;
  return `${u.protocol}//${u.hostname}${port}${root}${query ? `?${query}` : ""}`;
}

/** The text with every URL in it redacted ({@link redactUrl}); a sentence's punctuation after a URL stays outside it. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    const [, url = match, end = ""] = /^(.*?)([.,;:!?]*)$/s.exec(match) ?? [];
    return redactUrl(url) + end;
  });
}

/**
 * A deep copy of `value` safe to log: strings have their URLs redacted, values under secret-named keys
 * (`privateKey`, `apiKey`, `password`, `*_TOKEN`, …) are censored, errors become
 * `{ name, message, cause }`. Cycles are cut.
 */
export function redactDeep(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactText(value.message) };
    if (value.cause !== undefined) out.cause = redactDeep(value.cause, seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] =
      (SECRET_KEY.test(k) || SECRET_ENV.test(k)) && v !== undefined && v !== null
        ? CENSOR
        : redactDeep(v, seen);
  return out;
}
