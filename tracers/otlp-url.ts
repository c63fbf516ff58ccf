// The --otlp argument, checked without loading the OpenTelemetry SDK (which
// tracers/otlp.ts loads only when serve really pushes), and shown without
// the credentials it may carry.
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';

const HIDDEN = '***';

/**
 * `url` as serve may print it: a password replaced by ***, or, with no
 * password, the user name (a token given as `https://TOKEN@host` is one).
 * The URL pushed to keeps them: the exporter sends them as Basic auth.
 */
export function redactUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const shown = new URL(url.href);
  if (shown.password) shown.password = HIDDEN;
  else shown.username = HIDDEN;
  return shown.href;
}

/** A string that did not parse as a URL, with what looks like its user info hidden the same way. */
function redactText(raw: string): string {
  // The authority ends at the first / ? #; its user info at the last @ before that (as the URL parser reads it).
  return raw.replace(/^([^:/?#]*:[/\\]*)([^/?#\\]*)@/, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(':');
    return `${scheme}${colon >= 0 ? `${info.slice(0, colon)}:${HIDDEN}` : HIDDEN}@`;
  });
}

/**
 * The URL to push to. A bare http(s)://host:port (path "/") gets OTLP's
 * metrics path, /v1/metrics, as the OpenTelemetry exporters do by default.
 */
export function checkOtlpUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`--otlp "${redactText(raw)}" is not a URL: give e.g. http://127.0.0.1:4318/v1/metrics`, EXIT_USAGE);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UserError(`--otlp "${redactUrl(u)}": only http:// and https:// (OTLP/HTTP) are supported`, EXIT_USAGE);
  }
  if (!u.hostname) throw new UserError(`--otlp "${redactUrl(u)}" has no host`, EXIT_USAGE);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/metrics';
  return u;
}
