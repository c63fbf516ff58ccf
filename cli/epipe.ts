// `uringscope run ... | head -1`: once the reader is gone, every write to
// stdout fails with EPIPE. A C tool would die of SIGPIPE there, silently,
// and so does uringscope: exit 128 + SIGPIPE, no "internal error". The exit
// handlers still run, so the engine and its scratch files go too.
import { SIGPIPE_EXIT } from '../core/exit-codes.js';

export function exitQuietlyOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(SIGPIPE_EXIT);
      throw e; // anything else is a real error: reported as one
    });
  }
}
