// `uringscope report FILE [FILE2] [--json]`: a recording's summary,
// latency percentiles per opcode and top errors; with two files, a diff
// (ratio = FILE2 / FILE). A cut or corrupt recording is reported up to the
// break, with one line on stderr saying what was lost, and exit status 3.
import Table from 'cli-table3';
import type { Argv } from 'yargs';
import { diffSummaries, lossLine, buildReport, type Diff, type ReportResult } from '../recording/report.js';
import { EXIT_INCOMPLETE, EXIT_OK } from '../core/exit-codes.js';
import { endedNote } from '../tracers/trace-end.js';
import { writeLine } from './output.js';
import { PLAIN, renderSummary } from './summary-table.js';
import { fmtCount, fmtNs } from '../core/units.js';

export interface ReportArgs {
  file: string;
  file2?: string;
  json: boolean;
}

export function reportBuilder(y: Argv): Argv<ReportArgs> {
  return y
    .usage('$0 report FILE [FILE2] [--json]\n\nSummarise a recording; with two, compare them side by side (ratio = FILE2 / FILE).')
    .positional('file', { type: 'string', describe: 'a recording (`uringscope record -o FILE`)', demandOption: true })
    .positional('file2', { type: 'string', describe: 'a second recording to compare with' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON: the "summary" line of the JSON contract, then a "report" line (and a "diff" line)' })
    .example('$0 report link.usrec', 'what a recording holds')
    .example('$0 report link.usrec user.usrec', 'the same workload under two strategies') as unknown as Argv<ReportArgs>;
}

function latencyTable(r: ReportResult): string {
  if (!r.report.latency.length) return '  (no io_uring requests)';
  const t = new Table({ ...PLAIN, head: ['op', 'count', 'p50', 'p90', 'p99', 'max'], colAligns: ['left', 'right', 'right', 'right', 'right', 'right'] });
  for (const l of r.report.latency) t.push([l.op, fmtCount(l.count), fmtNs(l.p50), fmtNs(l.p90), fmtNs(l.p99), fmtNs(l.max)]);
  return t.toString().replace(/^/gm, '  ');
}

function errorTable(r: ReportResult): string {
  if (!r.report.topErrors.length) return '  (no errors)';
  const t = new Table({ ...PLAIN, head: ['op', 'error', 'count'], colAligns: ['left', 'left', 'right'] });
  for (const e of r.report.topErrors) t.push([e.op, e.res !== undefined ? `${e.error} (${e.res})` : e.error, fmtCount(e.count)]);
  return t.toString().replace(/^/gm, '  ');
}

function renderOne(r: ReportResult): string {
  const i = r.report.recording;
  const head = [
    `recording ${i.file}: ${i.mode} \`uringscope ${i.commandLine.join(' ')}\``,
    `  made ${i.createdAt} by ${i.tool} on Linux ${i.kernel}, ${i.cpu}`,
    `  ${fmtCount(i.bytes)} bytes, ${i.chunks} chunks, ${i.intervals} intervals` +
      (i.events ? `, ${fmtCount(i.events.recorded)} request records (dropped: ${fmtCount(i.events.droppedByTracer)} by the tracer, ${fmtCount(i.events.droppedByWriter)} by the writer)` : ', no request records') +
      (i.complete ? '' : `; INCOMPLETE (${i.damage?.message})`),
    ...(i.ended ? [`  ended: ${endedNote(i.ended)}`] : []),
  ];
  const engine = r.summary.engine as Record<string, unknown> | undefined;
  const eng = engine
    ? [`── engine (${String(engine.strategy)}) chains ${fmtCount(engine.chains as number)} steps ${fmtCount(engine.steps as number)} resubmits ${fmtCount(engine.resubmits as number)} wall ${fmtNs(engine.wallNs as number)} cpu ${fmtNs(engine.cpuNs as number)}`]
    : [];
  return [
    ...head,
    renderSummary(r.summary, 'summary'),
    ...eng,
    `── latency per opcode ${'─'.repeat(45)}`,
    latencyTable(r),
    `── top errors (from ${r.report.errorsFrom === 'events' ? 'every recorded request' : 'the per-opcode counters'}) ${'─'.repeat(20)}`,
    errorTable(r),
  ].join('\n');
}

function fmtMetric(metric: string, v: number): string {
  if (/latency/i.test(metric) || /Ns$/.test(metric)) return fmtNs(v);
  if (metric.includes('/')) return v ? v.toFixed(v < 10 ? 3 : 1) : '0';
  return fmtCount(v);
}

function renderDiff(d: Diff, a: ReportResult, b: ReportResult): string {
  const label = (r: ReportResult) => {
    const e = r.summary.engine as Record<string, unknown> | undefined;
    return e?.strategy ? `${r.report.recording.file} (${String(e.strategy)})` : r.report.recording.file;
  };
  const t = new Table({ ...PLAIN, head: ['metric', 'A', 'B', 'B/A'], colAligns: ['left', 'right', 'right', 'right'] });
  for (const r of d.rows) {
    if (!r.a && !r.b) continue;
    t.push([r.metric, fmtMetric(r.metric, r.a), fmtMetric(r.metric, r.b), r.ratio === null ? '-' : r.ratio.toFixed(3)]);
  }
  return [`── diff ${'─'.repeat(58)}`, `  A = ${label(a)}`, `  B = ${label(b)}`, t.toString().replace(/^/gm, '  ')].join('\n');
}

export async function runReport(a: ReportArgs): Promise<number> {
  const ra = await buildReport(a.file);
  const rb = a.file2 ? await buildReport(a.file2) : undefined;
  const results = rb ? [ra, rb] : [ra];
  if (a.json) {
    for (const r of results) {
      writeLine(r.summary);
      writeLine(r.report);
    }
    if (rb) writeLine(diffSummaries(a.file, ra.summary, a.file2!, rb.summary));
  } else {
    process.stdout.write(results.map(renderOne).join('\n\n') + '\n');
    if (rb) process.stdout.write('\n' + renderDiff(diffSummaries(a.file, ra.summary, a.file2!, rb.summary), ra, rb) + '\n');
  }
  let code = EXIT_OK;
  for (const r of results) {
    const line = lossLine(r.report.recording);
    if (line) {
      process.stderr.write(`uringscope: ${line}\n`);
      code = EXIT_INCOMPLETE;
    }
  }
  return code;
}
