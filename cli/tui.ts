// CLI glue for the interactive session (`uringscope`, `uringscope top`):
// checks the terminal, finds what can run here, drives real runs
// (EngineRun/TraceRun) into the store, and mounts the ink app. The views in
// tui/ never start or stop anything themselves.
import { createElement } from 'react';
import { runDoctor } from '../tracers/doctor.js';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { native } from '../tracers/native.js';
import type { EndReason } from '../tracers/trace-end.js';
import { TraceRun, checkTarget, type TargetSpec } from '../tracers/trace-run.js';
import { listWorkloads, resolveWorkload } from '../workloads/catalog.js';
import { EngineRun } from '../workloads/engine.js';
import { builtinPolicies, resolvePolicy } from '../workloads/policy.js';
import { sweepRunDirs } from '../workloads/run-dir.js';
import { App, type AppProps } from '../tui/app.js';
import { policyApplies, type Controller, type RunConfig, type Strategies, type Strategy, type WorkloadItem } from '../tui/controller.js';
import { policyLabel } from '../tui/policy-stats.js';
import { Store } from '../tui/store.js';
import { defaultStepBudget } from './run-args.js';
import { hostTui, requireTty, type Hosted } from './tui-host.js';
import type { TopArgs, TuiArgs } from './tui-args.js';
import { runOutcome } from '../workloads/outcome.js';


async function strategies(): Promise<Strategies> {
  // What this kernel and these privileges allow, with the reason when not.
  const d = await runDoctor({ loadTest: false });
  return { link: d.strategies.link, user: d.strategies.user, bpf: d.strategies.bpf };
}

function endNote(reason: EndReason, mode: 'workload' | 'top'): string {
  switch (reason) {
    case 'targets-exited': return 'target exited: last numbers kept';
    case 'command-exit': return mode === 'top' ? 'target exited: last numbers kept' : 'finished';
    case 'duration': return 'duration reached';
    default: return 'stopped';
  }
}

/** Starts, stops and sequences runs into the store; one run (or one compare pair) at a time. */
class Session implements Controller, Hosted {
  private current?: { stop(): void; done: Promise<void> };
  private generation = 0;
  private readonly opNames: string[];
  onQuit?: () => void;
  onDashboard?: () => void;

  constructor(readonly store: Store, readonly intervalMs: number) {
    this.opNames = native().opNames();
  }

  /** Runs one workload; resolves when it has ended (detached). */
  private runWorkload(cfg: RunConfig, replace: boolean, gen: number): Promise<void> {
    const store = this.store;
    let spec;
    try {
      spec = resolveWorkload(cfg.workload);
    } catch (e) {
      store.note('error', (e as Error).message);
      return Promise.resolve();
    }
    // Under link the kernel's links decide: the policy is left out (and the log says so), not an error.
    const policy = policyApplies(cfg) ? cfg.policy : undefined;
    const name = policy ? policyLabel(policy) : undefined;
    const label = `${spec.name} · ${cfg.strategy}${name ? ` · policy ${name}` : ''}`;
    const id = store.begin({ label, workload: spec.name, strategy: cfg.strategy, stepsPerChain: spec.steps.length, ...(name ? { policy: name } : {}) }, replace);
    if (cfg.policy && !policy) store.note('info', `policy ${policyLabel(cfg.policy)} does not apply under link (kernel links decide)`);
    const durationS = cfg.durationS > 0 ? cfg.durationS : undefined;
    let run: EngineRun;
    try {
      run = new EngineRun(spec, {
        strategy: cfg.strategy,
        durationS,
        concurrency: cfg.concurrency,
        intervalMs: this.intervalMs,
        progressMs: this.intervalMs,
        // The same runaway guard as `run`: a policy that keeps issuing requests is stopped.
        ...(policy ? { policy, stepBudget: defaultStepBudget(spec, { duration: durationS }) } : {}),
      });
    } catch (e) {
      // refused before it started (does not fit this run's ring or scratch directory): the log says why
      store.end(id, { note: 'could not start', error: (e as Error).message });
      return Promise.resolve();
    }
    run.on('progress', (p) => store.progress(id, p));
    run.on('emit', (e) => store.policyEvent(id, e));
    const done = new Promise<void>((resolve) => {
      run.once('end', (end) => {
        const e = end.engine;
        // The engine's last word holds the final counters (the policy's too): the screen ends on them.
        if (e) store.progress(id, { chains: e.chains, steps: e.steps, bytes: e.bytes, resubmits: e.resubmits, cancelled: e.cancelled, enterCalls: e.enterCalls, policy: e.policy });
        store.end(id, { note: runOutcome(e, { name: spec.name, strategy: cfg.strategy, stepBudget: defaultStepBudget(spec, { duration: durationS }) }).note, final: end.summary, error: e ? undefined : end.error, failedChains: e?.chainsFailed, firstErrno: e?.firstError });
        resolve();
      });
    });
    this.current = { stop: () => run.stop(), done };
    run
      .start()
      .then(() => {
        store.started(id);
        run.on('interval', (s, snap) => store.interval(id, s, snap, this.opNames));
        if (gen !== this.generation) run.stop();
      })
      .catch((e: Error) => {
        store.end(id, { note: 'could not start', error: e.message });
      });
    return done;
  }

  start(cfg: RunConfig): void {
    const gen = ++this.generation;
    void this.stopCurrent().then(() => {
      if (gen === this.generation) void this.runWorkload(cfg, true, gen);
    });
  }

  compare(cfg: RunConfig, other: Strategy): void {
    const gen = ++this.generation;
    void this.stopCurrent().then(async () => {
      if (gen !== this.generation) return;
      const policy = cfg.policy ? ` (policy ${policyLabel(cfg.policy)} where it applies)` : '';
      this.store.note('info', `compare ${cfg.workload}: ${cfg.strategy}, then ${other}${policy}`);
      await this.runWorkload(cfg, true, gen);
      if (gen !== this.generation) return;
      await this.runWorkload({ ...cfg, strategy: other }, false, gen);
    });
  }

  /** Attaches the tracer to running processes (`top`). */
  attach(target: TargetSpec, label: string): void {
    const store = this.store;
    const id = store.begin({ label });
    const run = new TraceRun({ target, intervalMs: this.intervalMs, threads: true });
    run.on('interval', (s, snap) => store.interval(id, s, snap, this.opNames));
    const done = new Promise<void>((resolve) =>
      run.once('end', (end) => {
        store.end(id, { note: endNote(end.reason, 'top'), final: end.summary });
        resolve();
      }),
    );
    this.current = { stop: () => run.stop(), done };
    run
      .start()
      .then(() => {
        store.started(id);
        store.note('info', `attached to ${label}`);
      })
      .catch((e: Error) => store.end(id, { note: 'could not attach', error: e.message }));
  }

  stop(): void {
    this.generation++;
    this.current?.stop();
  }

  private async stopCurrent(): Promise<void> {
    const c = this.current;
    if (!c) return;
    c.stop();
    await c.done;
  }

  /** Stops what runs and waits (bounded) for the tracer to detach. */
  async shutdown(): Promise<void> {
    this.generation++;
    const c = this.current;
    if (!c) return;
    c.stop();
    await Promise.race([c.done, new Promise((r) => setTimeout(r, 3000))]);
  }

  quit(): void {
    this.onQuit?.();
  }

  dashboard(): void {
    this.onDashboard?.();
  }
}

function workloadItems(extra?: string): WorkloadItem[] {
  const items: WorkloadItem[] = listWorkloads().map((w) => ({ name: w.name, description: w.description, error: w.error }));
  if (extra && !items.some((w) => w.name === extra)) {
    try {
      const spec = resolveWorkload(extra);
      // A file given by path is listed by that path, which is what resolveWorkload takes.
      items.unshift({ name: extra, description: spec.description });
    } catch (e) {
      throw e instanceof UserError ? e : new UserError(String(e), EXIT_USAGE);
    }
  }
  return items;
}

/** Mounts the app and resolves with the exit code once the user quits. */
function session(props: Omit<AppProps, 'controller'>, fps: number, dashboard: boolean, init: (s: Session) => void): Promise<number> {
  const store = new Store();
  const s = new Session(store, Math.round(1000 / fps));
  const done = hostTui(store, s, {
    fps,
    dashboard,
    view: (back) => {
      const last = store.getState().runs.at(-1);
      // Coming back from the dashboard: the same run on the same screen, not a fresh setup.
      const resumed: Partial<AppProps> = back && last
        ? { initialScreen: store.getState().runs.length > 1 ? 'compare' : 'live', initial: props.initial && last.workload ? { ...props.initial, workload: last.workload, strategy: (last.strategy as Strategy) ?? props.initial.strategy } : props.initial }
        : {};
      return createElement(App, { ...props, ...resumed, controller: s });
    },
  });
  init(s);
  return done;
}

export async function runTui(a: TuiArgs): Promise<number> {
  requireTty();
  sweepRunDirs(); // what killed sessions left (each run's start sweeps again, --scratch dirs too)
  const workloads = workloadItems(a.workload);
  // A policy that is not there is one line and exit 2 before any screen; one that does not compile says so in the log when started.
  const policy = a.policy !== undefined ? policyArg(a.policy) : undefined;
  const strat = await strategies();
  const strategy: Strategy = a.strategy ?? (policy ? (strat.bpf.ok ? 'bpf' : 'user') : 'link');
  const initial: RunConfig = { workload: a.workload, strategy, concurrency: a.concurrency, durationS: a.duration, ...(policy ? { policy } : {}) };
  const policies = builtinPolicies();
  if (policy && !policies.includes(policy)) policies.push(policy);
  return session({ mode: 'workload', workloads, strategies: strat, initial, policies }, a.fps, a.dashboard, () => {});
}

/** The --policy argument as the session keeps it: a built-in's name, or the file as given. */
function policyArg(arg: string): string {
  try {
    resolvePolicy(arg);
  } catch (e) {
    throw e instanceof UserError ? new UserError(e.message, EXIT_USAGE) : e;
  }
  return arg;
}

export async function runTop(a: TopArgs): Promise<number> {
  requireTty();
  const target: TargetSpec = a.pid?.length ? { kind: 'pids', pids: a.pid } : { kind: 'comm', comm: a.comm! };
  checkTarget(target); // an unknown pid is one line and exit 1, before any screen
  const label = target.kind === 'pids' ? `pid ${target.pids.join(',')}` : `comm ${target.comm}`;
  return session({ mode: 'top', topLabel: label }, a.fps, a.dashboard, (s) => s.attach(target, label));
}
