// What the recording commands share (`record`, and `replay -o`): the file
// header, progress and closing lines on stderr, starting a run so that a
// failed start leaves no recording, and EngineRecording. Not a command:
// command files import this, never each other (test/unit/layering.test.ts).
import { cpus, release, version as osVersion, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmtCount } from '../core/units.js';
import { EVENT_LAYOUT, FORMAT_VERSION, snapshotToJson, type RecordingHeader } from '../recording/format.js';
import { RecordingOutput, type OutputOptions } from '../recording/output-file.js';
import { RecordingWriter } from '../recording/writer.js';
import { packageRoot } from '../core/package-root.js';
import { native } from '../tracers/native.js';
import type { Summary } from '../tracers/summary.js';
import type { EngineProcess, RunEnd } from '../workloads/engine.js';

function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function baseHeader(mode: RecordingHeader['mode'], config: Record<string, unknown>, events: boolean): RecordingHeader {
  const n = native();
  const c = cpus();
  return {
    format: 'uringscope-recording',
    formatVersion: FORMAT_VERSION,
    tool: { name: 'uringscope', version: toolVersion(), node: process.version },
    createdAt: new Date().toISOString(),
    startKtimeNs: Number(process.hrtime.bigint()), // CLOCK_MONOTONIC, like the BPF timestamps
    kernel: { release: release(), version: osVersion(), arch: arch() },
    cpu: { model: c[0]?.model ?? 'unknown', count: c.length },
    commandLine: process.argv.slice(2),
    mode,
    config,
    events,
    eventLayout: EVENT_LAYOUT,
    opNames: n.opNames(),
    histBuckets: n.histBuckets,
    histSubBits: n.histSubBits,
  };
}

export function ktimeNow(): number {
  return Number(process.hrtime.bigint());
}

/** Progress on stderr, only when it is a terminal. */
export class Progress {
  private readonly tty = !!process.stderr.isTTY;
  private elapsedNs = 0;
  constructor(private readonly w: RecordingWriter) {}
  interval(s: Summary): void {
    this.elapsedNs += s.durationNs;
    if (!this.tty) return;
    const w = this.w;
    const lost = w.writerLost ? `  writer lost ${fmtCount(w.writerLost)}` : '';
    process.stderr.write(
      `\r  +${(this.elapsedNs / 1e9).toFixed(1)}s  ${fmtCount(w.eventsWritten)} events  ${(w.bytes / 1048576).toFixed(1)} MiB  drops ${fmtCount(s.drops)}${lost}   `,
    );
  }
  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

export function doneLine(w: RecordingWriter, s: Summary, json: boolean): void {
  if (json && !process.stderr.isTTY) return;
  const ev = s.events ? `, ${fmtCount(w.eventsWritten)} events (lost: ${fmtCount(s.drops)} by the tracer, ${fmtCount(w.writerLost)} by the writer)` : '';
  process.stderr.write(`uringscope: recorded ${w.chunks} chunks${ev}, ${(w.bytes / 1048576).toFixed(1)} MiB to ${w.path}\n`);
}

function emptyEnd(a: { events?: boolean }): Summary {
  return { type: 'summary', durationNs: 0, requests: {}, failLinks: 0, reqFailed: 0, cqOverflows: 0, asyncPunts: 0, pollArms: 0,
    taskWork: { adds: 0, runs: 0, localRuns: 0 }, enter: { calls: 0, toSubmit: 0, timeNs: 0 },
    ctxSwitches: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0, byThread: {
      app: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 },
      sqpoll: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 },
      iowq: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 } } },
    drops: 0, untracked: { completions: 0, neverCompleted: 0, evicted: 0, processes: 0, threadEvents: 0 }, ...(a.events ? { events: { received: 0, written: 0 } } : {}) };
}

/**
 * Starts a run, then gives the recording its name. If the run cannot start
 * (no such pid or command, a policy that does not compile) there is no
 * recording: the temp file is removed, and nothing blocks the retry. (A
 * FIFO or a device written through still gets an end chunk saying why.)
 */
export async function startRecorded(writer: RecordingWriter, output: RecordingOutput, a: { events?: boolean }, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (e) {
    writer.end({ ktimeNs: ktimeNow(), reason: 'error', summary: emptyEnd(a), error: (e as Error).message });
    await writer.close().catch(() => undefined);
    output.discard();
    throw e;
  }
  output.place();
}

/**
 * An engine run (a workload run, a replay) written to a recording: every
 * interval, the request records when asked, and the end with the engine's
 * object. The caller adds its own output and signal handling.
 */
export class EngineRecording {
  private constructor(
    readonly writer: RecordingWriter,
    private readonly file: RecordingOutput,
    private readonly run: EngineProcess,
    private readonly events: boolean,
  ) {}

  static async create(
    run: EngineProcess, output: string, out: OutputOptions, mode: 'run' | 'replay', config: Record<string, unknown>, events: boolean,
  ): Promise<EngineRecording> {
    const file = RecordingOutput.open(output, out);
    const writer = await RecordingWriter.create(output, baseHeader(mode, config, events), { fd: file.fd });
    if (events) run.on('events', (b) => writer.events(b.buffer));
    // The cumulative snapshot too, as for a trace: `view` draws the latency
    // histogram from it, and a cut file recovers an exact summary.
    run.on('interval', (s, snap) => writer.interval({ ktimeNs: snap.ktimeNs, summary: s, snapshot: snapshotToJson(snap) }));
    writer.onFailure(() => run.stop());
    return new EngineRecording(writer, file, run, events);
  }

  /** Starts the run; if it cannot start, the file still ends with an end chunk saying why. */
  start(): Promise<void> {
    return startRecorded(this.writer, this.file, { events: this.events }, () => this.run.start());
  }

  async finish(end: RunEnd): Promise<void> {
    this.writer.end({ ktimeNs: ktimeNow(), reason: end.engine?.stopReason ?? 'error', summary: end.summary, error: end.error });
    await this.writer.close();
  }

  /** The closing line on stderr. */
  done(s: Summary, json: boolean): void {
    doneLine(this.writer, s, json);
  }
}
