// A workload run as TS code sees it: compile the spec, start the native
// engine (build/uringscope-engine, its own process) behind the tracer, and
// merge the engine's ground truth into the tracer's summary. The TUI and the
// CLI both drive runs through this class.
import { EventEmitter } from 'node:events';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { quantile } from '../tracers/histogram.js';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { chooseBpfPath } from './bpf-path.js';
import { packageRoot } from '../core/package-root.js';
import { LIFELINE_FD } from '../tracers/targets.js';
import type { Summary } from '../tracers/summary.js';
import type { NativeSnapshot } from '../native/index.js';
import type { EventBatch } from '../tracers/layout.js';
import { TraceRun, type TraceEnd } from '../tracers/trace-run.js';
import { compilePlan, type RunOverrides } from './plan.js';
import type { RunOptions } from './run-options.js';
import { buildPolicy } from './policy.js';
import { createRunDir, scratchParent, sweepRunDirs } from './run-dir.js';
import { tmpdirError } from './temp-dir.js';
import { checkRunFits } from './run-fit.js';
import type { WorkloadSpec } from './spec.js';
import { ABI } from '../core/abi.js';
import type { Strategy } from '../core/strategy.js';
import type { EngineSummary } from '../core/engine-summary.js';
import type { EngineProgress, EngineResult, PolicyEmit } from '../core/engine-result.js';

/** How many us_emit() records the summary keeps (all of them reach 'emit' listeners, up to the engine's 1000). */
const MAX_SUMMARY_EMITS = 100;

export interface RunEnd {
  summary: Summary;
  engine?: EngineResult;
  /** Set when the engine could not run the workload (bad target, ring setup...). */
  error?: string;
}

export interface EngineRunEvents {
  progress: [EngineProgress];
  /** The interval, and the tracer's cumulative snapshot behind it (histograms for views). */
  interval: [Summary, NativeSnapshot];
  events: [EventBatch];
  emit: [PolicyEmit];
  end: [RunEnd];
}

export function enginePath(): string {
  return join(packageRoot(), 'build', 'uringscope-engine');
}

/** The contract's `engine` object, plus the engine's own detail. */
export function engineSummary(e: EngineResult, policyName?: string): EngineSummary {
  const hist = new Float64Array(ABI.histBuckets);
  for (const [b, n] of e.chainLatencyHist) hist[b] = n;
  // Everything but the engine's own detail passes through (EngineTotals);
  // replay is the replay run's to fill in (recording/replay-run.ts replayInfo).
  const { type: _t, bpfPath: _p, firstError: _f, chainLatencyMaxNs: max, chainLatencyHist: _h, policy, replay: _r, ...totals } = e;
  return {
    ...totals,
    chainLatencyNs: { p50: quantile(hist, 0.5, max), p99: quantile(hist, 0.99, max), max },
    ...(policy ? { policy: policySummary(e, policyName) } : {}),
  };
}

/** A C policy's own numbers: its US_STATS counters, emits and cancels (both strategies). */
function cPolicyFields(p: Record<string, number>, name: string): Record<string, unknown> {
  const stats: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) if (k.startsWith('stat.')) stats[k.slice(5)] = v;
  return { source: name, stats, emits: p.emits ?? 0, emitsLost: p.emitsLost ?? 0, cancels: p.policyCancels ?? 0 };
}

/** What the in-kernel policy did, and how often userspace woke: what moving the decisions into the kernel buys (docs/contract.md, engine.policy). */
function policySummary(e: EngineResult, policyName?: string): Record<string, unknown> {
  const p = e.policy!;
  const own = policyName ? cPolicyFields(p, policyName) : {};
  if (e.strategy !== 'bpf') return own;
  return {
    ...own,
    path: e.bpfPath ?? 'map-backed-sqpoll',
    // The ops path: what the ring's loop step did (bpf/runtime/ops.bpf.h).
    ...(e.bpfPath === 'ops'
      ? { loopSteps: p.opsLoopSteps ?? 0, loopStops: p.opsStops ?? 0, loopErrors: p.opsErrors ?? 0, sqesFromLoop: p.opsSubmitted ?? 0 }
      : {}),
    invocations: p.invocations,
    stepsFromBpf: p.stepsIssued,
    sqFullParks: p.sqFullParks,
    unparked: p.unparked,
    lockSpins: p.lockSpins,
    wakeupRequests: p.wakeupRequests,
    wakeups: p.wakeups ?? 0,
    budgetStops: p.budgetStops,
    overlaps: p.overlaps ?? 0,
    userspaceWakeupsPerStep: e.steps ? e.ctxSwitches.voluntary / e.steps : 0,
  };
}

/**
 * The engine process behind the tracer. What it runs comes from `planText`:
 * a workload (EngineRun) or a recorded request stream (ReplayRun).
 */
export abstract class EngineProcess extends EventEmitter<EngineRunEvents> {
  private trace?: TraceRun;
  private dir?: string;
  private result?: EngineResult;
  private error?: string;
  private policyName?: string;
  private readonly emitted: PolicyEmit[] = [];
  /** start() has not spawned the engine yet: a stop waits for it. */
  private starting = false;
  private stopAsked = false;

  constructor(readonly options: RunOptions) {
    super();
  }

  /** Writes what the engine needs into the run's scratch directory and returns the plan text. */
  protected abstract planText(scratchDir: string, overrides: RunOverrides): string;

  /** The contract's `engine` object for this run. */
  protected engineObject(e: EngineResult): EngineSummary {
    const o = engineSummary(e, this.policyName);
    if (this.policyName && o.policy) (o.policy as Record<string, unknown>).events = this.emitted;
    return o;
  }

  async start(): Promise<void> {
    this.starting = true;
    try {
      await this.spawn();
    } finally {
      this.starting = false;
    }
    // Ctrl-C while the policy compiled or the tracer loaded: passed on now.
    if (this.stopAsked) this.stop();
  }

  private async spawn(): Promise<void> {
    const bin = enginePath();
    if (!existsSync(bin)) throw new UserError(`the engine is not built (${bin} is missing): run \`npm run build\``);
    // Refused before anything is built or created: the paths that reach the plan.
    const parent = scratchParent(this.options.scratchParent);
    let overrides: RunOverrides = this.options;
    if (this.options.strategy === 'bpf') {
      // Refused with exit 69 (EX_UNAVAILABLE: this kernel, not the input) when the path cannot run here.
      overrides = { ...overrides, bpfPath: chooseBpfPath(this.options.bpfPathChoice, this.options.forceBpfOps) };
    }
    if (this.options.policy) {
      if (this.options.strategy === 'link') {
        throw new UserError('--policy needs --strategy user or bpf (under link the kernel\'s own link rules decide)', EXIT_USAGE);
      }
      const policyBuild = await buildPolicy(this.options.policy);
      this.policyName = policyBuild.name;
      overrides = { ...overrides, policyBuild };
    }
    // Directories left by a uringscope that was killed (nothing else removes them).
    sweepRunDirs([tmpdir(), ...(this.options.scratchParent ? [this.options.scratchParent] : [])]);
    const scratch = this.options.scratchParent;
    try {
      this.dir = createRunDir(parent);
    } catch (e) {
      if (e instanceof UserError) throw e;
      if (!scratch) throw tmpdirError('the run directory', e);
      throw new UserError(`cannot create a scratch directory in ${parent}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    const planPath = join(this.dir, 'plan.txt');
    try {
      writeFileSync(planPath, this.planText(this.dir, overrides));
    } catch (e) {
      this.cleanup();
      throw e;
    }
    // The engine dies with us (native/engine/lifeline.h): it knows our pid and holds the lifeline.
    const args = ['--parent', String(process.pid), '--lifeline', String(LIFELINE_FD), planPath];
    this.trace = new TraceRun({
      target: { kind: 'command', cmd: bin, args, stdout: 'pipe', lifeline: true },
      intervalMs: this.options.intervalMs ?? 1000,
      events: this.options.events,
    });
    this.trace.on('interval', (s, snap) => this.emit('interval', s, snap));
    this.trace.on('events', (b) => this.emit('events', b));
    this.trace.once('end', (end) => this.finish(end));
    // However this process ends (process.exit after an error, EPIPE, a second
    // Ctrl-C), the engine and the run directory do not stay behind.
    process.once('exit', this.onExit);
    try {
      await this.trace.start();
    } catch (e) {
      this.abort();
      throw e;
    }
    const lines = createInterface({ input: this.trace.childStdout! });
    lines.on('line', (l) => this.onLine(l));
  }

  private onLine(line: string): void {
    let msg: { type?: string; message?: string };
    try {
      msg = JSON.parse(line) as { type?: string };
    } catch {
      return; // not ours
    }
    if (msg.type === 'progress') this.emit('progress', msg as unknown as EngineProgress);
    else if (msg.type === 'emit') this.onEmit(msg as unknown as PolicyEmit);
    else if (msg.type === 'engine') this.result = msg as unknown as EngineResult;
    else if (msg.type === 'error') this.error = msg.message;
  }

  private onEmit(m: PolicyEmit): void {
    const rec = { chain: m.chain, kind: m.kind, a: m.a, b: m.b };
    if (this.emitted.length < MAX_SUMMARY_EMITS) this.emitted.push(rec);
    this.emit('emit', rec);
  }

  /** Asks the engine to stop: in-flight requests are cancelled and reaped, scratch files removed. */
  stop(): void {
    this.stopAsked = true;
    if (this.starting) return; // start() passes it on
    // On the lifeline rather than as SIGTERM: the engine reads it however far
    // its start has got, where a signal could still hit the gate shell, or
    // the engine before its handler is installed, and kill it unreported.
    const line = this.trace?.childLifeline;
    if (this.trace?.childRunning && line && !line.destroyed) line.write('stop\n');
    else this.trace?.stop('stopped');
  }

  /**
   * Does not wait: kills the engine (the kernel cancels its requests and
   * unloads its programs when its fds close) and removes the run directory
   * now. For when this process is about to exit.
   */
  abort(): void {
    process.removeListener('exit', this.onExit);
    this.trace?.signalChild('SIGKILL');
    this.cleanup();
  }

  private readonly onExit = () => this.abort();

  private finish(end: TraceEnd): void {
    // The engine's last line may still be in the pipe when the process exit is seen.
    setImmediate(() => {
      process.removeListener('exit', this.onExit);
      this.cleanup();
      const summary = end.summary;
      if (this.result) summary.engine = this.engineObject(this.result);
      const error = this.error ?? (this.result ? undefined : endedWithoutResult(end));
      this.emit('end', { summary, engine: this.result, error });
    });
  }

  private cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** How the engine ended when it did not report (killed by someone, crashed). */
function endedWithoutResult(end: TraceEnd): string {
  if (end.exitSignal) return `the engine was killed by ${end.exitSignal} before it reported`;
  return `the engine exited with status ${end.exitCode} without a result`;
}

/** A workload run: the spec compiled into the engine's plan. */
export class EngineRun extends EngineProcess {
  constructor(
    readonly spec: WorkloadSpec,
    options: RunOptions,
  ) {
    super(options);
    checkRunFits(spec, options); // before any scratch directory or file exists
  }

  protected planText(scratchDir: string, overrides: RunOverrides): string {
    return compilePlan(this.spec, overrides, scratchDir);
  }
}
