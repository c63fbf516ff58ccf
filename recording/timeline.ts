// A recording as a timeline for `uringscope view`: its intervals in order
// (each with the cumulative snapshot behind it when the file has one, so the
// latency histogram can be drawn as live), its end record and whole-run
// summary, and what a cut file lost. One streaming pass (scanRecording); event
// records are not kept: the panels are drawn from the interval aggregates.
import { basename } from 'node:path';
import type { NativeSnapshot } from '../native/index.js';
import type { Summary } from '../tracers/summary.js';
import type { EngineProgress } from '../core/engine-result.js';
import { snapshotFromJson, type EndRecord, type RecordingHeader } from './format.js';
import { recordingInfo, type RecordingInfo } from './report.js';
import { scanRecording, type Scan } from './scan.js';

export interface TimelineStep {
  summary: Summary;
  snapshot?: NativeSnapshot;
}

export interface Timeline {
  path: string;
  header: RecordingHeader;
  steps: TimelineStep[];
  /** Sum of the intervals' durations: the length of the playback. */
  totalNs: number;
  end?: EndRecord;
  /** The whole run (the end record's, or recovered from a cut file: see Scan.summarySource). */
  summary: Summary;
  summarySource: Scan['summarySource'];
  /** As `report` describes the file: complete or not, and what a cut lost (info.damage). */
  info: RecordingInfo;
  /** What the panels call it: "short-read · user", "pid 1234", "fio". */
  label: string;
  workload?: string;
  strategy?: string;
  stepsPerChain?: number;
  /** The C policy that decided the recorded run (its name on screen), if one did. */
  policy?: string;
}

/** The run or trace a header describes, in the words the live TUI uses for it. */
function describe(h: RecordingHeader): Pick<Timeline, 'label' | 'workload' | 'strategy' | 'stepsPerChain' | 'policy'> {
  const c = h.config as Record<string, unknown>;
  if (h.mode === 'run') {
    const w = c.workload as { name?: string; steps?: unknown[] } | undefined;
    const workload = w?.name ?? 'workload';
    const strategy = typeof c.strategy === 'string' ? c.strategy : undefined;
    // `record --policy` keeps the argument: a built-in's name or a file's path.
    const policy = typeof c.policy === 'string' && strategy !== 'link' ? basename(c.policy) : undefined;
    const label = `${strategy ? `${workload} · ${strategy}` : workload}${policy ? ` · policy ${policy}` : ''}`;
    return { label, workload, strategy, stepsPerChain: w?.steps?.length, policy };
  }
  const t = (c.target ?? {}) as { kind?: string; pids?: number[]; comm?: string; cmd?: string };
  if (t.kind === 'pids' && t.pids) return { label: `pid ${t.pids.join(',')}` };
  if (t.kind === 'comm' && t.comm) return { label: `comm ${t.comm}` };
  return { label: t.cmd ? basename(t.cmd) : 'trace' };
}

export async function loadTimeline(path: string): Promise<Timeline> {
  const steps: TimelineStep[] = [];
  let buckets = 0;
  const scan = await scanRecording(path, {
    header: (h) => {
      buckets = h.histBuckets;
    },
    interval: (rec) => {
      steps.push({ summary: rec.summary, snapshot: rec.snapshot ? snapshotFromJson(rec.snapshot, buckets) : undefined });
    },
  });
  return {
    path,
    header: scan.header,
    steps,
    totalNs: steps.reduce((n, s) => n + s.summary.durationNs, 0),
    end: scan.end,
    summary: scan.summary,
    summarySource: scan.summarySource,
    info: recordingInfo(path, scan),
    ...describe(scan.header),
  };
}

/**
 * The engine's own numbers as the live progress messages carried them, from
 * the summary's `engine` object (run recordings only): steps for "per step",
 * bytes for bytes/s, the bpf policy's counters.
 */
export function engineProgressOf(s: Summary): EngineProgress | undefined {
  const e = s.engine as Record<string, unknown> | undefined;
  if (!e) return undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const p = e.policy as Record<string, unknown> | undefined;
  // A C policy's numbers go back into the flat shape of the engine's progress ("stat.NAME", "emits", ...).
  const stats = (p?.stats ?? {}) as Record<string, number>;
  const own = p?.source
    ? { ...Object.fromEntries(Object.entries(stats).map(([k, v]) => [`stat.${k}`, v])), emits: num(p.emits), policyCancels: num(p.cancels), emitsLost: num(p.emitsLost) }
    : {};
  return {
    chains: num(e.chains),
    steps: num(e.steps),
    bytes: num(e.bytes),
    resubmits: num(e.resubmits),
    cancelled: num(e.cancelled),
    enterCalls: num(e.enterCalls),
    ...(p
      ? {
          policy: {
            ...own,
            ...(p.stepsFromBpf !== undefined
              ? { stepsIssued: num(p.stepsFromBpf), sqFullParks: num(p.sqFullParks), wakeups: num(p.wakeups), invocations: num(p.invocations) }
              : {}),
          },
        }
      : {}),
  };
}
