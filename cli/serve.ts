// `uringscope serve`: live io_uring metrics for Prometheus (/metrics, text or
// OpenMetrics) and, with --otlp, pushed to an OpenTelemetry collector. The
// tracer stays attached with per-target aggregation in the kernel; every
// scrape or push reads one snapshot. Runs until SIGTERM / Ctrl-C, then
// detaches everything.
import type { Argv } from 'yargs';
import { EXIT_OK, EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { buildMetrics } from '../tracers/metrics.js';
import { formatListen, MetricsServer, parseListen } from '../tracers/metrics-server.js';
import { checkOtlpUrl, redactUrl } from '../tracers/otlp-url.js';
import { PrometheusExposition } from '../tracers/prometheus.js';
import { checkServeTarget, MAX_TARGETS_LIMIT, ServedTargets, type ServeTargetSpec } from '../tracers/served-targets.js';
import { checkComm, checkInterval, checkMaxTargets, checkPids, OTLP_INTERVAL_MS } from './flag-bounds.js';
import { emptySnapshot } from '../tracers/summary.js';
import { stopServeOnSignal } from './signals.js';

export interface ServeArgs {
  pid?: number[];
  comm?: string;
  all: boolean;
  'max-targets': number;
  listen: string;
  otlp?: string;
  interval: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:9464';

function checkServeArgs(a: Partial<ServeArgs>): true {
  checkComm(a.comm); // an empty one says so, not "give exactly one target"
  const n = (a.pid?.length ? 1 : 0) + (a.comm !== undefined ? 1 : 0) + (a.all ? 1 : 0);
  if (n !== 1) throw new UserError('give exactly one target: --pid N (repeatable), --comm NAME or --all', EXIT_USAGE);
  checkPids(a.pid);
  checkMaxTargets(a['max-targets']);
  checkInterval(a.interval, OTLP_INTERVAL_MS);
  parseListen(a.listen ?? DEFAULT_LISTEN);
  if (a.otlp !== undefined) checkOtlpUrl(a.otlp);
  return true;
}

export function serveBuilder(y: Argv): Argv<ServeArgs> {
  return y
    .usage('$0 serve (--pid N | --comm NAME | --all) [options]\n\nExport live io_uring metrics: /metrics for Prometheus (text or OpenMetrics), /healthz, and with --otlp a push to an OpenTelemetry collector. Each process is labelled {comm, pid}.')
    .option('pid', { type: 'number', array: true, alias: 'p', describe: 'these process ids (repeatable; the processes they fork too)' })
    .option('comm', { type: 'string', describe: 'processes with this name (15 chars), now and as they start' })
    .option('all', { type: 'boolean', default: false, describe: 'every process that uses io_uring' })
    .option('max-targets', { type: 'number', default: 64, describe: `processes with their own series (1-${MAX_TARGETS_LIMIT}); more are counted in uringscope_targets_dropped_total` })
    .option('listen', { type: 'string', default: DEFAULT_LISTEN, describe: 'ADDR:PORT to serve /metrics and /healthz on' })
    .option('otlp', { type: 'string', describe: 'also push to this OTLP/HTTP endpoint (e.g. http://127.0.0.1:4318/v1/metrics)' })
    .option('interval', { type: 'number', default: 10000, describe: 'milliseconds between OTLP pushes' })
    .example('$0 serve --all', 'every io_uring process, on 127.0.0.1:9464')
    .example('$0 serve --comm postgres --listen 0.0.0.0:9464', 'for a Prometheus on another host')
    .example('$0 serve --pid 1234 --otlp http://collector:4318', 'push to an OpenTelemetry collector too')
    .check((a) => checkServeArgs(a as Partial<ServeArgs>)) as unknown as Argv<ServeArgs>;
}

function targetSpec(a: ServeArgs): ServeTargetSpec {
  if (a.all) return { kind: 'all' };
  if (a.pid?.length) return { kind: 'pids', pids: a.pid };
  return { kind: 'comm', comm: a.comm ?? '' };
}

function describe(t: ServeTargetSpec): string {
  if (t.kind === 'all') return 'every io_uring process';
  if (t.kind === 'pids') return `pid ${t.pids.join(', ')}`;
  return `comm ${t.comm}`;
}

/** Serves until a signal; resolves to the exit code. */
export async function runServe(a: ServeArgs): Promise<number> {
  const spec = targetSpec(a);
  checkServeTarget(spec); // an unknown pid fails before the port is taken
  const otlpUrl = a.otlp !== undefined ? checkOtlpUrl(a.otlp) : undefined;
  const server = await MetricsServer.listen(parseListen(a.listen));
  let targets: ServedTargets;
  try {
    targets = await ServedTargets.start(spec, a['max-targets']);
  } catch (e) {
    await server.close();
    throw e;
  }
  const log = (line: string) => process.stderr.write(`uringscope: ${line}\n`);

  // The families' names, help and types, from an empty snapshot: the registry is built once.
  const template = buildMetrics({ snapshot: emptySnapshot(0), targets: new Map(), opNames: [], targetsDropped: 0 });
  const exposition = new PrometheusExposition(template);
  const families = () => buildMetrics(targets.report());
  server.serve((accept) => exposition.render(families(), accept));

  // The OpenTelemetry SDK is loaded only for a push.
  const pusher = otlpUrl
    ? new (await import('../tracers/otlp.js')).OtlpPusher({ url: otlpUrl, intervalMs: a.interval, collect: families, log })
    : undefined;
  pusher?.start();

  log(`serving ${describe(spec)} on http://${formatListen(server.address)}/metrics${otlpUrl ? ` and pushing to ${redactUrl(otlpUrl)} every ${a.interval} ms` : ''}; SIGTERM or Ctrl-C stops`);
  const sig = await new Promise<NodeJS.Signals>((resolve) => stopServeOnSignal(resolve));
  await pusher?.stop();
  await server.close();
  targets.stop();
  log(`${sig}: stopped, tracer detached`);
  return EXIT_OK;
}
