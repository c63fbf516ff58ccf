// An error the user can act on: the CLI prints its message as one line and
// exits non-zero, without a stack trace. Anything else is a bug in uringscope.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
