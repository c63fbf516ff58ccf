// The options of `view`. Kept apart from cli/view.ts, which loads react and
// ink: `--help` and every other command build these options without loading
// the TUI (cli/main.ts imports cli/view.ts only to run it).
import type { Argv } from 'yargs';
import { SPEEDS } from '../tui/player.js';
import { checkViewSpeed } from './flag-bounds.js';

export interface ViewArgs {
  file: string;
  file2?: string;
  speed: number;
  paused: boolean;
  dashboard: boolean;
}

export function viewBuilder(y: Argv): Argv<ViewArgs> {
  return y
    .usage(
      '$0 view FILE [FILE2] [options]\n\n' +
        'Play a recording (`uringscope record -o FILE ...`) in the live panels: space pauses, ←/→ seek one interval, ' +
        '+/- change the speed. With two recordings, compare them side by side (ratio = FILE2 / FILE).',
    )
    .positional('file', { type: 'string', describe: 'a recording', demandOption: true })
    .positional('file2', { type: 'string', describe: 'a second recording: compare the two' })
    .option('speed', { type: 'number', default: 1, describe: `playback speed: ${SPEEDS.join(', ')}` })
    .option('paused', { type: 'boolean', default: false, describe: 'open paused at the start' })
    .option('dashboard', { type: 'boolean', default: false, describe: 'open the full-screen dashboard' })
    .example('$0 view run.usrec', 'play a recording')
    .example('$0 view link.usrec bpf.usrec', 'two recordings side by side')
    .check((a) => {
      checkViewSpeed(a.speed as number | undefined);
      return true;
    }) as unknown as Argv<ViewArgs>;
}
