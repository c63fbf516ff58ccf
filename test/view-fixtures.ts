// Recordings with known numbers for the player's component tests, written
// with the real writer (recording/writer.ts) so they go through the real
// reader: the numbers on screen can be checked to the digit.
import { RecordingWriter } from '../recording/writer.js';
import { EVENT_LAYOUT, FORMAT_VERSION, type RecordingHeader } from '../recording/format.js';
import type { EngineSummary } from '../core/engine-summary.js';
import type { Strategy } from '../core/strategy.js';
import type { Summary } from '../tracers/summary.js';
import type { Scheduler } from '../tui/player.js';
import { summary } from './tui-fixtures.js';

export function runHeader(strategy: string): RecordingHeader {
  return {
    format: 'uringscope-recording', formatVersion: FORMAT_VERSION,
    tool: { name: 'uringscope', version: 'test', node: process.version }, createdAt: new Date(0).toISOString(),
    startKtimeNs: 1_000_000, kernel: { release: '6.18', version: '#1', arch: 'x64' }, cpu: { model: 'test', count: 2 },
    commandLine: ['record', '-o', 'x', 'short-read', '--strategy', strategy], mode: 'run',
    config: { workload: { name: 'short-read', steps: [{}, {}, {}, {}] }, strategy },
    events: false, eventLayout: EVENT_LAYOUT, opNames: ['NOP', 'READV', 'WRITEV'], histBuckets: 160, histSubBits: 2,
  };
}

/**
 * A `run` recording: one 500 ms interval per entry of `completed` (READ
 * completions, a fifth of them cancelled), then the end chunk whose summary
 * sums them and carries the engine's steps and bytes.
 */
export async function writeRunRecording(path: string, strategy: string, completed: number[], opts: { end?: boolean } = {}): Promise<Summary> {
  const w = await RecordingWriter.create(path, runHeader(strategy), { syncIntervals: false });
  let k = 0;
  for (const n of completed) {
    w.interval({ ktimeNs: 2_000_000_000 + ++k * 500_000_000, summary: summary({ completed: n, cancelled: n / 5, durationNs: 500e6 }) });
  }
  const total = completed.reduce((a, b) => a + b, 0);
  const end: Summary = {
    ...summary({ completed: total, cancelled: total / 5, durationNs: completed.length * 500e6 }),
    type: 'summary',
    enter: { calls: 250 * completed.length, toSubmit: total, timeNs: 0 },
    // Only what the views read: a partial engine block, as an old recording may have.
    engine: { strategy: strategy as Strategy, chains: total / 4, steps: total, bytes: total * 4096, resubmits: 0, cancelled: total / 5, enterCalls: 250 * completed.length } as EngineSummary,
  };
  if (opts.end !== false) w.end({ ktimeNs: 9_000_000_000, reason: 'duration', summary: end });
  await w.close();
  return end;
}

/** Timers stepped by the test: `fire()` runs the pending one; `pending` shows its delay. */
export interface ManualScheduler extends Scheduler {
  pending: { f: () => void; ms: number }[];
  fire(): void;
}

export function manualScheduler(): ManualScheduler {
  const pending: { f: () => void; ms: number }[] = [];
  return {
    pending,
    set: (f, ms) => {
      const h = { f, ms };
      pending.push(h);
      return h;
    },
    clear: (h) => {
      const i = pending.indexOf(h as (typeof pending)[number]);
      if (i >= 0) pending.splice(i, 1);
    },
    fire: () => {
      const h = pending.shift();
      if (!h) throw new Error('no timer pending');
      h.f();
    },
  };
}
