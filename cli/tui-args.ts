// The options of the interactive session (`uringscope`) and of `top`. Kept
// apart from cli/tui.ts, which loads react and ink: `--help` and every other
// command build these options without loading the TUI (cli/main.ts imports
// cli/tui.ts only to run it).
import type { Argv } from 'yargs';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { STRATEGIES, type Strategy } from '../core/strategy.js';
import { checkComm, checkConcurrency, checkDuration, checkFps, checkPathFlag, checkPids } from './flag-bounds.js';

export interface TuiArgs {
  workload: string;
  /** Absent: link, or bpf (user where bpf cannot run) when a policy is given. */
  strategy?: Strategy;
  policy?: string;
  concurrency: number;
  duration: number;
  fps: number;
  dashboard: boolean;
}

export interface TopArgs {
  pid?: number[];
  comm?: string;
  fps: number;
  dashboard: boolean;
}

export function tuiBuilder(y: Argv): Argv<TuiArgs> {
  return y
    .option('workload', { alias: 'w', type: 'string', default: 'short-read', describe: 'workload to start with: a name, ./workloads/NAME or a .json file' })
    .option('strategy', { alias: 's', choices: STRATEGIES, describe: 'strategy to start with (default link; bpf with --policy)' })
    .option('policy', { type: 'string', describe: 'a C policy (FILE.c or a built-in: see bpf/policies/) decides under user and bpf; o on the setup screen changes it' })
    .option('concurrency', { alias: 'c', type: 'number', default: 16, describe: 'chains in flight at once' })
    .option('duration', { alias: 'd', type: 'number', default: 10, describe: 'seconds per run (0 = the workload\'s chain count)' })
    .option('fps', { type: 'number', default: 4, describe: 'screen refreshes (tracer snapshots) per second' })
    .option('dashboard', { type: 'boolean', default: false, describe: 'open the full-screen dashboard' })
    .check((a) => {
      checkFps(a.fps);
      checkConcurrency(a.concurrency);
      checkDuration(a.duration, true); // 0 = the workload's chain count
      checkPathFlag('--policy', a.policy as string | undefined);
      return true;
    }) as unknown as Argv<TuiArgs>;
}

export function topBuilder(y: Argv): Argv<TopArgs> {
  return y
    .usage('$0 top (--pid N... | --comm NAME) [options]\n\nThe live panels attached to running processes, with a per-thread table.')
    .option('pid', { type: 'number', array: true, alias: 'p', describe: 'attach to these process ids (repeatable)' })
    .option('comm', { type: 'string', describe: 'attach to processes with this name, now and as they start' })
    .option('fps', { type: 'number', default: 4, describe: 'screen refreshes (tracer snapshots) per second' })
    .option('dashboard', { type: 'boolean', default: false, describe: 'open the full-screen dashboard' })
    .check((a) => {
      checkComm(a.comm); // an empty one says so, not "give one target"
      if ((a.pid?.length ? 1 : 0) + (a.comm !== undefined ? 1 : 0) !== 1) throw new UserError('give one target: --pid N (repeatable) or --comm NAME', EXIT_USAGE);
      checkPids(a.pid);
      checkFps(a.fps);
      return true;
    }) as unknown as Argv<TopArgs>;
}
