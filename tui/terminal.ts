// Leaves the terminal as it was found, whatever way the process ends: the
// alternate screen is left, the cursor shown and raw mode turned off on a
// normal quit, on process.exit after an internal error, and on signals.
//
// Nothing may be written after that. ink hides the cursor through cli-cursor,
// whose restore-cursor registers (signal-exit, alwaysLast) a write of
// "\x1b[?25h" to stderr at process exit: it would land after we have left the
// alternate screen, on the user's shell (or in their `2>` file). Once the
// terminal is restored by us, signal-exit's hooks are unloaded so that write
// never happens; ink is unmounted by then and needs them no more.
import signalExit from 'signal-exit';

const ALT_ON = '\x1b[?1049h';
const ALT_OFF = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';

export interface TerminalGuard {
  restore(): void;
  /** Back to the alternate screen after another program (blessed) left it. */
  enter(): void;
  /** Another program (blessed, closing) has left the alternate screen itself: do not leave it twice. */
  left(): void;
}

export function terminalGuard(out: NodeJS.WriteStream = process.stdout, inp: NodeJS.ReadStream = process.stdin): TerminalGuard {
  let done = false;
  let alt = true;
  const restore = () => {
    if (done) return;
    done = true;
    try {
      if (inp.isTTY) inp.setRawMode(false);
    } catch {
      /* stdin already closed */
    }
    // Synchronous on a TTY, so it lands even from an 'exit' handler. When
    // blessed has left the alternate screen itself it has shown the cursor
    // too; a second ALT_OFF on the main screen would restore a cursor position
    // saved long ago, so then nothing is written.
    if (alt) out.write(SHOW_CURSOR + ALT_OFF);
    alt = false;
    process.off('exit', restore);
    signalExit.unload();
  };
  out.write(ALT_ON);
  process.on('exit', restore);
  return {
    restore,
    enter: () => {
      alt = true;
      out.write(ALT_ON);
    },
    left: () => {
      alt = false;
    },
  };
}
