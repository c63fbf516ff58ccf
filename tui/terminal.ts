// Leaves the terminal as it was found, whatever way the process ends: the
// alternate screen is left, the cursor shown and raw mode turned off on a
// normal quit, on process.exit after an internal error, and on signals.
const ALT_ON = '\x1b[?1049h';
const ALT_OFF = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';

export interface TerminalGuard {
  restore(): void;
  /** Back to the alternate screen after another program (blessed) left it. */
  enter(): void;
}

export function terminalGuard(out: NodeJS.WriteStream = process.stdout, inp: NodeJS.ReadStream = process.stdin): TerminalGuard {
  let done = false;
  const restore = () => {
    if (done) return;
    done = true;
    try {
      if (inp.isTTY) inp.setRawMode(false);
    } catch {
      /* stdin already closed */
    }
    // Synchronous on a TTY, so it lands even from an 'exit' handler.
    out.write(SHOW_CURSOR + ALT_OFF);
    process.off('exit', restore);
  };
  out.write(ALT_ON);
  process.on('exit', restore);
  return { restore, enter: () => out.write(ALT_ON) };
}
