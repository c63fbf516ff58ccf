// An error the user can act on: the CLI prints its message as one line and
// exits non-zero, without a stack trace. Anything else is a bug in uringscope.
// The message quotes user input, so it is made printable here, once, for
// every place that prints one (core/printable.ts). Exit statuses: core/exit-codes.ts.
import { EXIT_FAILURE } from './exit-codes.js';
import { printable } from './printable.js';

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(printable(message));
    this.name = 'UserError';
  }
}
