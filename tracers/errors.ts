// An error the user can act on: the CLI prints its message as one line and
// exits non-zero, without a stack trace. Anything else is a bug in uringscope.
// The message quotes user input, so it is made printable here, once, for
// every place that prints one (tracers/printable.ts).
import { printable } from './printable.js';

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(printable(message));
    this.name = 'UserError';
  }
}

/** sysexits' EX_CANTCREAT: a file or directory we make cannot be created. */
export const EXIT_CANTCREAT = 73;
