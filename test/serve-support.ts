// Helpers for test/serve.test.ts: free loopback ports, a `serve` process, a
// real Prometheus (Debian's package) scraping it, its query API, and a tiny
// OTLP/HTTP receiver.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { collect, sleep, startCli, waitFor, type CliResult } from './support.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface ServeProcess {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<CliResult>;
}

/** Starts `serve ARGS` and waits until it says it serves. */
export async function startServe(args: string[]): Promise<ServeProcess> {
  const child = startCli(['serve', ...args]);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const done = collect(child);
  let exited = false;
  void done.then(() => (exited = true));
  await waitFor(() => /serving /.test(err) || exited, 'serve to start', 30000);
  if (exited) throw new Error(`serve exited: ${err}`);
  return { child, stderr: () => err, done };
}

/** A value per sample line: `name{labels} value`, for lines whose labels contain every `want`. */
export function sampleValue(body: string, name: string, want: Record<string, string>): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    if (Object.entries(want).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export class Prometheus {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Prometheus on a free loopback port, scraping `target` every second, with its own temp TSDB. */
  static async start(dir: string, target: string): Promise<Prometheus> {
    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: uringscope\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    const child = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr!.on('data', (d) => (log += d));
    const p = new Prometheus(child, port);
    const end = Date.now() + 30000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
      try {
        if ((await httpGet(port, '/-/ready')).status === 200) return p;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > end) throw new Error(`prometheus did not get ready: ${log}`);
      await sleep(100);
    }
  }

  async query(q: string): Promise<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]> {
    const r = await httpGet(this.port, `/api/v1/query?query=${encodeURIComponent(q)}`);
    const j = JSON.parse(r.body) as { status: string; error?: string; data: { result: never[] } };
    if (j.status !== 'success') throw new Error(`query ${q}: ${j.error}`);
    return j.data.result;
  }

  /** The single value of an instant query (undefined when the result is empty). */
  async scalar(q: string): Promise<number | undefined> {
    const r = await this.query(q);
    return r.length ? Number(r[0].value![1]) : undefined;
  }

  /** Polls until `q` gives `pred`-satisfying values; returns the last value. */
  async waitFor(q: string, pred: (v: number | undefined) => boolean, what: string, ms = 30000): Promise<number | undefined> {
    const end = Date.now() + ms;
    let v: number | undefined;
    for (;;) {
      v = await this.scalar(q);
      if (pred(v)) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${q} = ${v}`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await gone;
  }
}

export interface OtlpPush {
  path: string;
  contentType: string;
  names: string[];
  body: Record<string, unknown>;
}

/** A loopback OTLP/HTTP (JSON) receiver that keeps what it receives. */
export class OtlpReceiver {
  readonly pushes: OtlpPush[] = [];
  private server?: Server;

  constructor(readonly port: number) {}

  start(): Promise<void> {
    this.server = createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        const body = JSON.parse(b) as { resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[] };
        const names = body.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)));
        this.pushes.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), names, body });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    return new Promise((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
