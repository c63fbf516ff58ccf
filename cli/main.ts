// The `uringscope` command line (yargs). Each command lives in its own file;
// this one wires them and turns every failure into one line + an exit code.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../tracers/errors.js';
import { runDoctorCommand } from './doctor.js';
import { flushStdout } from './output.js';
import { runTrace, traceBuilder, type TraceArgs } from './trace.js';
import { runBuilder, runRun, type RunArgs } from './run.js';
import { runWorkloadsCommand, workloadsBuilder, type WorkloadsArgs } from './workloads.js';
import { recordBuilder, runRecord, type RecordArgs } from './record.js';
import { reportBuilder, runReport, type ReportArgs } from './report.js';
import { exportBuilder, runExport, type ExportArgs } from './export.js';
import { replayBuilder, runReplay, type ReplayArgs } from './replay.js';
import { runTop, runTui, topBuilder, tuiBuilder, type TopArgs, type TuiArgs } from './tui.js';
import { runView, viewBuilder, type ViewArgs } from './view.js';

function fail(message: string, code: number): never {
  process.stderr.write(`uringscope: ${message}\n`);
  process.exit(code);
}

async function finish(code: Promise<number>): Promise<void> {
  const c = await code;
  await flushStdout();
  process.exit(c);
}

export async function main(argv = hideBin(process.argv)): Promise<void> {
  const cli: Argv = yargs(argv)
    .scriptName('uringscope')
    .parserConfiguration({ 'populate--': true })
    .usage('$0 <command> [options]\n\nProfiler and tracer for programmable io_uring IO chains.')
    .command(
      'doctor',
      'check the kernel, privileges and features every strategy needs',
      (y) => y.option('json', { type: 'boolean', default: false, describe: 'one JSON object' }),
      (a) => finish(runDoctorCommand(a as { json: boolean })),
    )
    .command(
      'trace',
      'trace the io_uring activity of any process (headless)',
      traceBuilder,
      (a) => finish(runTrace(a as unknown as TraceArgs)),
    )
    .command(
      'run <workload>',
      'run a chain workload in the native engine under a strategy, traced',
      runBuilder,
      (a) => finish(runRun(a as unknown as RunArgs)),
    )
    .command(
      'top',
      'the live panels attached to running processes (--pid N | --comm NAME)',
      topBuilder,
      (a) => finish(runTop(a as unknown as TopArgs)),
    )
    .command(
      'record [workload]',
      'record a workload run or a trace to a file (headless)',
      recordBuilder,
      (a) => finish(runRecord(a as unknown as RecordArgs)),
    )
    .command(
      'report <file> [file2]',
      'summarise a recording, or compare two',
      reportBuilder,
      (a) => finish(runReport(a as unknown as ReportArgs)),
    )
    .command(
      'export <file>',
      'export a recording: perfetto, csv or json',
      exportBuilder,
      (a) => finish(runExport(a as unknown as ExportArgs)),
    )
    .command(
      'replay <file>',
      'issue the request stream of a recording (made with --events) again, under a strategy, traced',
      replayBuilder,
      (a) => finish(runReplay(a as unknown as ReplayArgs)),
    )
    .command(
      'view <file> [file2]',
      'play a recording in the TUI, or compare two side by side',
      viewBuilder,
      (a) => finish(runView(a as unknown as ViewArgs)),
    )
    .command(
      'workloads',
      'list the built-in and ./workloads workloads',
      workloadsBuilder,
      (a) => finish(runWorkloadsCommand(a as unknown as WorkloadsArgs)),
    );
  await cli
    .command('$0', 'the interactive session on a workload (the default command)', tuiBuilder, (a) => finish(runTui(a as unknown as TuiArgs)))
    .strict()
    .demandCommand(0)
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err instanceof UserError) fail(err.message, err.exitCode);
      if (err) throw err;
      const cmd = argv.find((w) => !w.startsWith('-'));
      fail(`${msg} (see \`uringscope ${cmd ? cmd + ' ' : ''}--help\`)`, 2);
    })
    .parseAsync();
}
