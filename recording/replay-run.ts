// A replay as the engine runs it: the recorded stream's table next to the
// plan, one random-content scratch file per recorded (ring, fd), and the
// `replay path=...` line that makes every chain take its requests from the
// table (native/engine/replay_table.h). The recorded process's files are
// never named: only scratch paths inside the run's own directory.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayStream } from './replay-stream.js';
import { packageRoot } from '../core/package-root.js';
import { EngineProcess, engineSummary } from '../workloads/engine.js';
import type { EngineResult } from '../core/engine-result.js';
import type { RunOptions } from '../workloads/run-options.js';
import { policyLines, type RunOverrides } from '../workloads/plan.js';
import { planLine } from '../workloads/plan-text.js';
import type { Strategy } from '../core/strategy.js';
import type { EngineSummary } from '../core/engine-summary.js';

export type ReplayOptions = Omit<RunOptions, 'chains' | 'durationS' | 'concurrency' | 'stepBudget' | 'checksum'> & {
  strategy: Strategy;
};

/** Replay under bpf: the C policy that issues each chain's recorded requests (its input). */
export function replayPolicyPath(): string {
  return join(packageRoot(), 'bpf', 'replay', 'policy.c');
}

/** The `replay` object of a replay's summary (inside `engine`). */
export function replayInfo(s: ReplayStream, e?: EngineResult): Record<string, unknown> {
  return {
    source: s.source,
    speed: s.speed,
    recordedRequests: s.recorded,
    requests: s.requests,
    chains: s.chains,
    linkedChains: s.linkedChains,
    longestLink: s.longestLink,
    linksCut: s.linksCut,
    recordedConcurrency: s.recordedConcurrency,
    concurrency: s.concurrency,
    recordedSpanNs: s.recordedSpanNs,
    scheduledSpanNs: s.scheduledSpanNs,
    scratchFiles: s.targets.length,
    scratchBytes: s.targets.reduce((n, t) => n + t.size, 0),
    skipped: s.skipped,
    lostInRecording: s.lost,
    ...(e?.replay ? { issued: e.replay.issued, resultsDiffer: e.replay.resultsDiffer } : {}),
  };
}

/** The plan of a replay whose table is `dir`/replay.bin and whose scratch files go in `dir`. */
export function replayPlan(s: ReplayStream, dir: string, o: RunOverrides): string {
  // `user` keeps at most one request per chain in flight; `link` grows the ring itself.
  let entries = 256;
  while (entries < s.concurrency && entries < 32768) entries *= 2;
  const lines = [
    planLine('run', {
      strategy: o.strategy, chains: s.chains, duration_ns: 0, concurrency: s.concurrency, rate: 0, buffer: s.bufferBytes,
      progress_ms: o.progressMs ?? 0, step_budget: 0, checksum: 0, bpf_path: o.bpfPath === 'ops' ? 'ops' : 'map',
    }),
    planLine('ring', {
      entries, exact_entries: 0, sqpoll: 0, idle_ms: 100, defer_taskrun: 0, registered_buffers: 0, registered_files: 0,
    }),
    ...s.targets.map((t, i) =>
      planLine('target', { name: `file${i}`, kind: 'file', size: t.size, content: 'random', direct: 0, seed: i + 1, path: join(dir, `file${i}`) }),
    ),
    planLine('replay', { path: join(dir, 'replay.bin') }),
  ];
  if (o.policyBuild) lines.push(...policyLines(o.policyBuild));
  return lines.join('\n') + '\n';
}

export class ReplayRun extends EngineProcess {
  constructor(
    readonly stream: ReplayStream,
    options: ReplayOptions,
  ) {
    super(options);
  }

  protected planText(dir: string, overrides: RunOverrides): string {
    writeFileSync(join(dir, 'replay.bin'), this.stream.table);
    return replayPlan(this.stream, dir, { ...overrides, strategy: this.options.strategy, progressMs: this.options.progressMs });
  }

  protected engineObject(e: EngineResult): EngineSummary {
    // Replayed reads share scratch buffers and scratch files stand in for the recorded ones:
    // neither a read checksum nor file checksums would mean anything.
    const { readChecksum: _c, files: _f, ...engine } = super.engineObject(e);
    return { ...engine, replay: replayInfo(this.stream, e) };
  }
}
