// The HTTP side of `serve`: parse --listen, bind (errors a user can act on
// are one line, exit 2), answer /metrics through a render callback and
// /healthz with 200. Nothing here knows about BPF.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { Exposition } from './prometheus.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** ADDR:PORT, [IPv6]:PORT, or :PORT (every interface). */
export function parseListen(raw: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(raw.trim());
  const bad = (why: string) => new UserError(`--listen "${raw}": ${why} (give ADDR:PORT, e.g. 127.0.0.1:9464)`, EXIT_USAGE);
  if (!m) throw bad('not ADDR:PORT');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad('the port must be 1-65535');
  const host = m[1] ?? m[2];
  if (m[1] !== undefined && isIP(m[1]) !== 6) throw bad(`${m[1]} is not an IPv6 address`);
  if (m[2] && isIP(m[2]) === 0 && !/^[a-zA-Z0-9.-]+$/.test(m[2])) throw bad(`${m[2]} is not a host`);
  return { host: host || '0.0.0.0', port };
}

export function formatListen(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export type Render = (accept: string | undefined) => Promise<Exposition>;

function listenError(e: NodeJS.ErrnoException, where: string): UserError {
  switch (e.code) {
    case 'EADDRINUSE':
      return new UserError(`cannot listen on ${where}: the port is in use (another serve, or pick one with --listen)`, EXIT_USAGE);
    case 'EADDRNOTAVAIL':
      return new UserError(`cannot listen on ${where}: no such address on this host`, EXIT_USAGE);
    case 'EACCES':
      return new UserError(`cannot listen on ${where}: permission denied (ports below 1024 need root)`, EXIT_USAGE);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`cannot listen on ${where}: the host name does not resolve`, EXIT_USAGE);
    default:
      return new UserError(`cannot listen on ${where}: ${e.message}`, EXIT_USAGE);
  }
}

export class MetricsServer {
  private render?: Render;

  private constructor(
    private readonly server: Server,
    readonly address: ListenAddress,
  ) {}

  /** Binds first, so a bad address or a busy port fails before any BPF is loaded. */
  static async listen(addr: ListenAddress): Promise<MetricsServer> {
    let self: MetricsServer | undefined;
    const server = createServer((req, res) => void self?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(listenError(e as NodeJS.ErrnoException, formatListen(addr))));
      server.listen(addr.port, addr.host, () => resolve());
    });
    const a = server.address();
    self = new MetricsServer(server, { host: addr.host, port: typeof a === 'object' && a ? a.port : addr.port });
    return self;
  }

  /** Until this is set, /metrics answers 503 (the tracer is still loading). */
  serve(render: Render): void {
    this.render = render;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, 405, 'GET only\n');
    if (path === '/healthz') return this.reply(res, 200, 'ok\n');
    if (path !== '/metrics') return this.reply(res, 404, 'uringscope serves /metrics and /healthz\n');
    if (!this.render) return this.reply(res, 503, 'the tracer is loading\n');
    try {
      const e = await this.render(req.headers.accept);
      res.writeHead(200, { 'Content-Type': e.contentType });
      res.end(req.method === 'HEAD' ? undefined : e.body);
    } catch (err) {
      this.reply(res, 500, `uringscope: ${(err as Error).message}\n`);
    }
  }

  private reply(res: ServerResponse, code: number, body: string): void {
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(body);
  }

  close(): Promise<void> {
    this.server.closeAllConnections?.();
    return new Promise((r) => this.server.close(() => r()));
  }
}
