// One tracing run: a session plus its targets (pids, a comm, or a command
// started behind a gate), a clock for intervals, and the end conditions
// (duration, command exit, every target gone, stop()). Views and the CLI
// subscribe to its events; it does no printing.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { NativeSnapshot } from '../native/index.js';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { EventBatch } from './layout.js';
import { native } from './native.js';
import { OpsPrograms, withSeen } from './ops-programs.js';
import { emptySnapshot, snapshotDelta, summarize, type Summary } from './summary.js';
import type { EndReason } from './trace-end.js';
import { checkCommand, checkPid, COMM_MAX, LIFELINE_FD, pidsWithComm, processExists, spawnGated, type ChildStdout, type GatedChild } from './targets.js';
import type { Readable, Writable } from 'node:stream';
import { TraceSession, type TraceOptions } from './tracer.js';

export type TargetSpec =
  | { kind: 'pids'; pids: number[] }
  | { kind: 'comm'; comm: string }
  | { kind: 'command'; cmd: string; args: string[]; stdout: ChildStdout; lifeline?: boolean };

export interface TraceRunOptions extends TraceOptions {
  target: TargetSpec;
  intervalMs?: number;
  durationS?: number;
  /** Per-thread rows in summaries. */
  threads?: boolean;
}

export interface TraceEnd {
  reason: EndReason;
  summary: Summary;
  /** Exit status of a command we started (signal-killed: 128 + signo). */
  exitCode?: number;
  /** The signal that killed a command we started. */
  exitSignal?: NodeJS.Signals;
}

export interface TraceRunEvents {
  interval: [Summary, NativeSnapshot];
  events: [EventBatch];
  end: [TraceEnd];
}

const EVENT_DRAIN_MS = 50;

/** Validates a target before any BPF is loaded, so mistakes fail fast. */
export function checkTarget(t: TargetSpec): void {
  if (t.kind === 'pids') {
    if (t.pids.length === 0) throw new UserError('no pid given', EXIT_USAGE);
    t.pids.forEach(checkPid);
  } else if (t.kind === 'comm') {
    if (!t.comm) throw new UserError('--comm is empty: give the process name, as `ps -o comm=` shows it', EXIT_USAGE);
    // The kernel keeps COMM_MAX bytes (cli/flag-bounds.ts checks the flag itself first).
    if (Buffer.byteLength(t.comm) > COMM_MAX) {
      throw new UserError(`--comm "${t.comm}" is longer than the ${COMM_MAX} characters the kernel keeps: use "${t.comm.slice(0, COMM_MAX)}"`, EXIT_USAGE);
    }
  } else {
    checkCommand(t.cmd);
  }
}

export class TraceRun extends EventEmitter<TraceRunEvents> {
  private session?: TraceSession;
  private gated?: GatedChild;
  private timers: NodeJS.Timeout[] = [];
  private prev: NativeSnapshot = emptySnapshot(0);
  private readonly ops = new OpsPrograms();
  private opNames: string[] = [];
  private ended = false;
  private childExit?: number;
  private childSignal?: NodeJS.Signals;
  private starting = false;
  private stopWhenStarted?: EndReason;
  private startNs = 0;

  constructor(readonly options: TraceRunOptions) {
    super();
  }

  /** Loads the tracer, attaches the targets and starts the clock. */
  async start(): Promise<void> {
    const o = this.options;
    checkTarget(o.target);
    this.opNames = native().opNames();
    this.starting = true;
    try {
      this.session = await TraceSession.start({
        events: o.events,
        anatomy: o.anatomy,
        followForks: o.followForks,
        comm: o.target.kind === 'comm' ? o.target.comm : undefined,
        inflightEntries: o.inflightEntries,
        ringBytes: o.ringBytes,
      });
    } finally {
      this.starting = false;
    }
    const s = this.session;
    this.startNs = s.startedNs;
    this.prev = emptySnapshot(this.startNs);
    // BPF run-time statistics on before any target runs: a program counts only while they are.
    this.ops.read([]);
    if (this.stopWhenStarted) {
      this.finish(this.stopWhenStarted); // before any target: the command is never started
      return;
    }

    const t = o.target;
    if (t.kind === 'pids') {
      for (const pid of t.pids) s.addTarget(pid);
    } else if (t.kind === 'comm') {
      for (const pid of pidsWithComm(t.comm)) s.addTarget(pid);
    } else {
      this.gated = spawnGated(t.cmd, t.args, t.stdout, t.lifeline);
      this.watchChild(this.gated.child);
      s.addTarget(this.gated.pid);
      this.gated.release();
    }

    const intervalMs = Math.max(10, o.intervalMs ?? 1000);
    this.timers.push(setInterval(() => this.tick(), intervalMs));
    if (o.events) this.timers.push(setInterval(() => this.drainEvents(), EVENT_DRAIN_MS));
    if (o.durationS !== undefined) {
      this.timers.push(setTimeout(() => this.finish('duration'), Math.max(0, o.durationS * 1000)));
    }
  }

  /** Process ids being traced now (grows with forks and comm matches). */
  targets(): number[] {
    return this.session?.targets() ?? [];
  }

  get pid(): number | undefined {
    return this.gated?.pid;
  }

  /** The started command's stdout, when the target asked for 'pipe'. */
  get childStdout(): Readable | null {
    return this.gated?.child.stdout ?? null;
  }

  /** The started command's lifeline (target option `lifeline`): ours to write to, it reads it. */
  get childLifeline(): Writable | null {
    return (this.gated?.child.stdio[LIFELINE_FD] as Writable | undefined) ?? null;
  }

  private watchChild(child: ChildProcess): void {
    child.on('exit', (code, signal) => {
      this.childExit = code ?? 128 + (signal ? signalNumber(signal) : 0);
      this.childSignal = signal ?? undefined;
      // io_uring posts the last completions while the ring is torn down;
      // give that a moment before detaching.
      setTimeout(() => this.finish('command-exit'), 100);
    });
  }

  private tick(): void {
    if (this.ended || !this.session) return;
    const t = this.options.target;
    if (t.kind === 'comm') for (const pid of pidsWithComm(t.comm)) this.session.addTarget(pid);
    const cur = this.session.snapshot();
    const delta = snapshotDelta(cur, this.prev);
    const summary = summarize(delta, {
      opsPrograms: this.ops.delta(this.session.targets(), this.session.opsPrograms()),
      type: 'interval',
      durationNs: cur.ktimeNs - this.prev.ktimeNs,
      opNames: this.opNames,
      events: !!this.options.events,
      threads: this.options.threads,
      absent: this.session.absentFigures(),
    });
    this.prev = cur;
    this.emit('interval', summary, cur);
    if (t.kind === 'pids' && !t.pids.some(processExists) && !this.session.targets().some(processExists)) {
      this.finish('targets-exited');
    }
  }

  private drainEvents(): void {
    const b = this.session?.drain();
    if (b) this.emit('events', b);
  }

  /** Ends the run: detach, last records, final summary. */
  stop(reason: EndReason = 'stopped'): void {
    this.finish(reason);
  }

  /** Sends a signal to the command we started (if it still runs). */
  signalChild(sig: NodeJS.Signals): boolean {
    const c = this.gated?.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return false;
    return c.kill(sig);
  }

  get childRunning(): boolean {
    const c = this.gated?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  private finish(reason: EndReason): void {
    if (this.ended) return;
    // A stop while the programs load (Ctrl-C at start) waits for them: ending
    // now would emit no 'end', and start() would go on to run the command.
    if (this.starting) {
      this.stopWhenStarted ??= reason;
      return;
    }
    this.ended = true;
    // A command we started is not left running untraced when --duration ends.
    if (reason === 'duration') this.signalChild('SIGTERM');
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    const s = this.session;
    if (!s) return;
    const held = this.ops.read(s.targets());
    this.ops.release();
    const final = s.stop();
    const opsPrograms = withSeen(held, s.opsPrograms());
    if (this.options.events) this.drainEvents();
    const summary = summarize(final, {
      opsPrograms,
      type: 'summary',
      durationNs: final.ktimeNs - this.startNs,
      opNames: this.opNames,
      events: !!this.options.events,
      threads: this.options.threads,
      absent: s.absentFigures(),
    });
    this.emit('end', { reason, summary, exitCode: this.childExit, exitSignal: this.childSignal });
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}
