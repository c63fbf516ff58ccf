// The --otlp argument, checked without loading the OpenTelemetry SDK (which
// tracers/otlp.ts loads only when serve really pushes).
import { UserError } from './errors.js';

/**
 * The URL to push to. A bare http(s)://host:port (path "/") gets OTLP's
 * metrics path, /v1/metrics, as the OpenTelemetry exporters do by default.
 */
export function checkOtlpUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`--otlp "${raw}" is not a URL: give e.g. http://127.0.0.1:4318/v1/metrics`, 2);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UserError(`--otlp "${raw}": only http:// and https:// (OTLP/HTTP) are supported`, 2);
  }
  if (!u.hostname) throw new UserError(`--otlp "${raw}" has no host`, 2);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/metrics';
  return u;
}
