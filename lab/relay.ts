// How the matrix runs one guest (or the host's checks): its lines relayed
// with a prefix, and a guest that has stopped making progress told by its
// silence. guest-checks prints a line at least every 30 s; the kernel's own
// messages ("[ 1040.664896] watchdog: BUG: soft lockup ...") do not count,
// since a guest with every CPU in a soft lockup keeps printing the watchdog's
// report every ~30 s and nothing else.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { KernelResult } from './results.js';

/** A printk line on the serial console: "[ seconds.microseconds] text". */
const KERNEL_LINE = /^\[\s*\d+\.\d{6}\] /;

export function isKernelMessage(line: string): boolean {
  return KERNEL_LINE.test(line);
}

export interface RelayOptions {
  cwd: string;
  /** Put before each relayed line, as "[prefix] line". */
  prefix: string;
  /** Seconds without a line that is not the kernel's, after which the run is stopped as stalled. */
  silenceS: number;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** Runs cmd with its lines prefixed; resolves its exit code, or 'stalled' after silenceS without progress. */
export function relay(cmd: string, argv: string[], o: RelayOptions): Promise<number | 'stalled'> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  return new Promise((done) => {
    // Its own process group: a stalled guest is stopped with qemu and all.
    const child = spawn(cmd, argv, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stalled = false;
    let watchdog: NodeJS.Timeout;
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        out.write(`[${o.prefix}] no progress for ${o.silenceS} s: the guest has stalled; stopping it\n`);
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, o.silenceS * 1000);
    };
    alive();
    const lines = (from: Readable, to: NodeJS.WritableStream) =>
      createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
        if (!line) return;
        if (!isKernelMessage(line)) alive();
        to.write(`[${o.prefix}] ${line}\n`);
      });
    lines(child.stdout, out);
    lines(child.stderr, err);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      done(stalled ? 'stalled' : (code ?? 1));
    });
  });
}

/**
 * Whether a guest's boot was lost, and the kernel is booted once more
 * (keeping the checks it finished): it stalled, or its kernel died (the lab's
 * exit 125) before the checks were complete, including before the first one
 * wrote its results. Multi-threaded TCG can oops a guest while code is
 * live-patched (an "Oops: int3" in __schedule when a tracepoint is switched
 * on), on 6.12 as early as 20 s after boot.
 */
export function bootLost(code: number | 'stalled', result: KernelResult | undefined): boolean {
  return code === 'stalled' || (code === 125 && result?.complete !== true);
}
