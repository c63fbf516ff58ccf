// `uringscope replay FILE`: the request stream of a recording made with
// --events, issued again by the native engine under a strategy, against
// scratch files, traced; printed like `run` and, with -o, recorded like it
// so `report FILE OUT` compares the two.
import { statfsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { buildReplayStream, type ReplayStream } from '../recording/replay-stream.js';
import { EXIT_OK, EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { RunEnd } from '../workloads/engine.js';
import type { EngineProgress } from '../core/engine-result.js';
import { ReplayRun, replayPolicyPath } from '../recording/replay-run.js';
import { writeLine } from './output.js';
import { checkOutput } from '../recording/output-file.js';
import { EngineRecording } from './recorded.js';
import { engineLines } from './engine-lines.js';
import { BPF_PATH_OPTIONS } from './run-args.js';
import type { BpfPathChoice } from '../workloads/bpf-path.js';
import { stopRunOnSignal } from './signals.js';
import { checkInterval, checkPathFlag, checkReplaySpeed } from './flag-bounds.js';
import { scratchParent } from '../workloads/run-dir.js';
import { renderSummary } from './summary-table.js';
import { fmtCount, fmtNs } from '../core/units.js';
import { ABI } from '../core/abi.js';
import { STRATEGIES, type Strategy } from '../core/strategy.js';

export interface ReplayArgs {
  file: string;
  strategy: Strategy;
  'bpf-path'?: BpfPathChoice;
  'force-bpf-ops'?: boolean;
  speed: number;
  json: boolean;
  output?: string;
  events: boolean;
  interval: number;
  scratch?: string;
  force: boolean;
}

export function replayBuilder(y: Argv): Argv<ReplayArgs> {
  return y
    .usage(
      '$0 replay FILE [--strategy link|user|bpf] [--speed X] [--json] [-o OUT [--events] [--force]]\n\n' +
        'Issue the requests of a recording made with --events again, in the native engine, against scratch files ' +
        '(never the recorded files): chains by their recorded links, chain starts at the recorded times, ' +
        'as many chains in flight as the recording had. Sockets, polls, openat/close and cancels are skipped and listed.',
    )
    .positional('file', { type: 'string', describe: 'a recording made with `record --events`', demandOption: true })
    .option('strategy', { alias: 's', choices: STRATEGIES, default: 'link' as const, describe: 'link: recorded links as kernel links; user: one request at a time per chain; bpf: the same, issued by a BPF policy at completion time' })
    .option('speed', { type: 'number', default: 1, describe: 'scale of the recorded chain start times (2 = twice as fast); 0 = as fast as possible' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON like `run --json`; the summary\'s engine object carries a "replay" object' })
    .option('output', { alias: 'o', type: 'string', describe: 'record the replay to this file (for `report FILE OUT`)' })
    .option('force', { type: 'boolean', default: false, describe: 'with -o: replace an existing file (never the replayed recording)' })
    .option('events', { type: 'boolean', default: false, describe: 'with -o: record every replayed request too' })
    .option('interval', { type: 'number', default: 1000, describe: 'milliseconds between interval reports' })
    .option('scratch', { type: 'string', describe: 'directory for the scratch files (default: the system temp dir)' })
    .options(BPF_PATH_OPTIONS)
    .example('$0 replay app.usrec --strategy user', 'the recorded stream, driven one request at a time')
    .example('$0 replay app.usrec -o again.usrec && $0 report app.usrec again.usrec', 'recording and replay side by side')
    .check((a) => {
      checkReplaySpeed(a.speed as number | undefined);
      if (a.events && !a.output) throw new UserError('--events records the replay\'s requests into -o FILE: give -o too', EXIT_USAGE);
      checkInterval(a.interval as number | undefined);
      checkPathFlag('--scratch', a.scratch as string | undefined);
      return true;
    }) as unknown as Argv<ReplayArgs>;
}

function replayLines(s: ReplayStream, info: Record<string, unknown>): string {
  const lines = [
    `── replay of ${s.source} ${'─'.repeat(Math.max(4, 50 - s.source.length))}`,
    `  ${fmtCount(s.requests)} of ${fmtCount(s.recorded)} recorded requests in ${fmtCount(s.chains)} chains (${fmtCount(s.linkedChains)} linked, longest ${s.longestLink})` +
      `  concurrency ${s.concurrency} (recorded ${s.recordedConcurrency})`,
    (s.speed === 0
      ? `  speed 0: every chain at once (recorded chain starts over ${fmtNs(s.recordedSpanNs)})`
      : `  speed ${s.speed}x: chain starts over ${fmtNs(s.scheduledSpanNs)} (recorded ${fmtNs(s.recordedSpanNs)})`) +
      `  scratch files ${s.targets.length}  results differing from the recording ${fmtCount(Number(info.resultsDiffer ?? 0))}`,
  ];
  for (const [op, k] of Object.entries(s.skipped)) lines.push(`  skipped ${fmtCount(k.count)} ${op}: ${k.reason}`);
  if (s.linksCut) lines.push(`  ${s.linksCut} recorded links longer than the replay's limit were cut into several`);
  if (s.lost) lines.push(`  the recording lost ${fmtCount(s.lost)} request records: the replayed stream has gaps`);
  return lines.join('\n');
}

function progressLine(p: EngineProgress, total: number): string {
  return `\r  chains ${fmtCount(p.chains)}/${fmtCount(total)}  requests ${fmtCount(p.steps)}  resubmits ${fmtCount(p.resubmits)}   `;
}

/** The scratch files are written before the first request: refuse up front if they cannot fit. */
function checkScratchSpace(s: ReplayStream, parent: string): void {
  const need = s.targets.reduce((n, t) => n + t.size, 0);
  let free: number;
  try {
    const st = statfsSync(parent);
    free = st.bavail * st.bsize;
  } catch (e) {
    throw new UserError(`cannot use ${parent} for scratch files: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (need > free) {
    const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
    throw new UserError(`the replay's ${s.targets.length} scratch files need ${mib(need)} but ${parent} has ${mib(free)} free: use --scratch DIR`);
  }
}

/** The BPF runtime's fd table (US_MAX_FDS in bpf/chain.h). */
const MAX_BPF_FILES = ABI.maxFds;

export async function runReplay(a: ReplayArgs): Promise<number> {
  const out = { force: a.force, inputs: [a.file] };
  if (a.output) checkOutput(a.output, out); // refused before the recording is read
  const stream = await buildReplayStream(a.file, a.speed);
  checkScratchSpace(stream, scratchParent(a.scratch));
  if (a.strategy === 'bpf' && stream.targets.length > MAX_BPF_FILES) {
    throw new UserError(`replay under bpf handles at most ${MAX_BPF_FILES} recorded files and this recording has ${stream.targets.length}: use --strategy user or link`);
  }
  const tty = process.stderr.isTTY && !a.json;
  const run = new ReplayRun(stream, {
    strategy: a.strategy,
    intervalMs: a.interval,
    progressMs: tty ? 200 : 0,
    scratchParent: a.scratch,
    events: a.events,
    bpfPathChoice: a['bpf-path'],
    forceBpfOps: a['force-bpf-ops'],
    // Under bpf the replay is a C policy that reads each chain's recorded requests as its input.
    policy: a.strategy === 'bpf' ? replayPolicyPath() : undefined,
  });
  const config = { source: a.file, strategy: a.strategy, speed: a.speed, intervalMs: a.interval, events: a.events };
  const rec = a.output ? await EngineRecording.create(run, a.output, out, 'replay', config, a.events) : undefined;
  let elapsed = 0;
  run.on('interval', (s) => {
    elapsed += s.durationNs;
    if (a.json) writeLine(s);
    else if (!tty) process.stdout.write(renderSummary(s, `+${(elapsed / 1e9).toFixed(1)}s`) + '\n');
  });
  if (tty) run.on('progress', (p) => process.stderr.write(progressLine(p, stream.chains)));

  const ended = new Promise<RunEnd>((resolve) => run.once('end', resolve));
  stopRunOnSignal(run);
  await (rec ? rec.start() : run.start());
  const end = await ended;
  if (rec) await rec.finish(end);
  if (tty) process.stderr.write('\n');
  if (end.error && !end.engine) throw new UserError(`replay of ${a.file}: ${end.error}`);
  const info = (end.summary.engine?.replay ?? {}) as Record<string, unknown>;
  if (a.json) writeLine(end.summary);
  else {
    process.stdout.write(
      `${renderSummary(end.summary, `summary: replay of ${a.file} (${a.strategy})`)}\n${engineLines(end.summary)}\n${replayLines(stream, info)}\n`,
    );
  }
  rec?.done(end.summary, a.json);
  return EXIT_OK;
}
