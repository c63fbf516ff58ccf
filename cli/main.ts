// The `uringscope` command line (yargs). Each command lives in its own file;
// this one wires them and turns every failure into one line + an exit code.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { doctorBuilder, runDoctorCommand, type DoctorArgs } from './doctor.js';
import { printable } from '../core/printable.js';
import { flushStdout } from './output.js';
import { runTrace, traceBuilder } from './trace.js';
import type { TraceArgs } from './trace-args.js';
import { runServe, serveBuilder, type ServeArgs } from './serve.js';
import { runBuilder, runRun } from './run.js';
import type { RunArgs } from './run-args.js';
import { runWorkloadsCommand, workloadsBuilder, type WorkloadsArgs } from './workloads.js';
import { recordBuilder, runRecord, type RecordArgs } from './record.js';
import { reportBuilder, runReport, type ReportArgs } from './report.js';
import { exportBuilder, runExport, type ExportArgs } from './export.js';
import { replayBuilder, runReplay, type ReplayArgs } from './replay.js';
import { topBuilder, tuiBuilder, type TopArgs, type TuiArgs } from './tui-args.js';
import { viewBuilder, type ViewArgs } from './view-args.js';

function fail(message: string, code: number): never {
  process.stderr.write(`uringscope: ${printable(message)}\n`);
  process.exit(code);
}

async function finish(code: Promise<number>): Promise<void> {
  const c = await code;
  await flushStdout();
  process.exit(c);
}

// The TUI's modules (react, ink, and blessed for the dashboard) are loaded
// only by the commands that draw it: Node's ESM loader reads a module graph
// with many files open at once, and ink's graph alone needed about 300
// descriptors, so under a low RLIMIT_NOFILE even `--help` failed to start.
//
// ink decides once, when it is loaded, that a CI variable means "no live
// frames". On a real terminal the TUI must be live whatever CI says, so ink
// is loaded without it; the variable is put back for everything we start.
async function loadTui<T>(load: () => Promise<T>): Promise<T> {
  const ci = process.env.CI;
  if (process.stdout.isTTY && process.stdin.isTTY) delete process.env.CI;
  try {
    return await load();
  } finally {
    if (ci !== undefined) process.env.CI = ci;
  }
}

const tui = () => loadTui(() => import('./tui.js'));

/** A subcommand: its yargs spec, its options and what runs it (resolving to the exit code). */
interface Command {
  spec: string;
  what: string;
  builder: (y: Argv) => Argv;
  run: (args: never) => Promise<number>;
}

// In `--help` order; each command's own file holds its options and its run.
const COMMANDS: Command[] = [
  { spec: 'doctor', what: 'check the kernel, privileges and features every strategy needs', builder: doctorBuilder, run: (a: DoctorArgs) => runDoctorCommand(a) },
  { spec: 'trace', what: 'trace the io_uring activity of any process (headless)', builder: traceBuilder, run: (a: TraceArgs) => runTrace(a) },
  {
    spec: 'serve',
    what: 'export live io_uring metrics to Prometheus (/metrics) and OTLP, per process',
    builder: serveBuilder,
    run: (a: ServeArgs) => runServe(a),
  },
  { spec: 'run <workload>', what: 'run a chain workload in the native engine under a strategy, traced', builder: runBuilder, run: (a: RunArgs) => runRun(a) },
  { spec: 'top', what: 'the live panels attached to running processes (--pid N | --comm NAME)', builder: topBuilder, run: async (a: TopArgs) => (await tui()).runTop(a) },
  { spec: 'record [workload]', what: 'record a workload run or a trace to a file (headless)', builder: recordBuilder, run: (a: RecordArgs) => runRecord(a) },
  { spec: 'report <file> [file2]', what: 'summarise a recording, or compare two', builder: reportBuilder, run: (a: ReportArgs) => runReport(a) },
  { spec: 'export <file>', what: 'export a recording: perfetto, csv or json', builder: exportBuilder, run: (a: ExportArgs) => runExport(a) },
  {
    spec: 'replay <file>',
    what: 'issue the request stream of a recording (made with --events) again, under a strategy, traced',
    builder: replayBuilder,
    run: (a: ReplayArgs) => runReplay(a),
  },
  {
    spec: 'view <file> [file2]',
    what: 'play a recording in the TUI, or compare two side by side',
    builder: viewBuilder,
    run: async (a: ViewArgs) => (await loadTui(() => import('./view.js'))).runView(a),
  },
  { spec: 'workloads', what: 'list the built-in and ./workloads workloads', builder: workloadsBuilder, run: (a: WorkloadsArgs) => runWorkloadsCommand(a) },
];

export async function main(argv = hideBin(process.argv)): Promise<void> {
  let cli: Argv = yargs(argv)
    .scriptName('uringscope')
    .parserConfiguration({ 'populate--': true })
    .usage('$0 <command> [options]\n\nProfiler and tracer for programmable io_uring IO chains.');
  for (const c of COMMANDS) cli = cli.command(c.spec, c.what, c.builder, (a) => finish(c.run(a as never)));
  await cli
    .command('$0', 'the interactive session on a workload (the default command)', tuiBuilder, (a) => finish(tui().then((t) => t.runTui(a as unknown as TuiArgs))))
    .strict()
    .demandCommand(0)
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err instanceof UserError) fail(err.message, err.exitCode);
      if (err) throw err;
      const word = argv.find((w) => !w.startsWith('-'));
      const cmd = COMMANDS.some((c) => c.spec.split(' ')[0] === word) ? word : undefined;
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): one line, like every error.
      fail(`${msg.replace(/\s*\n\s*/g, ' ')} (see \`uringscope ${cmd ? cmd + ' ' : ''}--help\`)`, EXIT_USAGE);
    })
    .parseAsync();
}
