// The one-line UserError (exit 2) that `f` throws; fails the test if it throws
// none, another error, or a message of more than one line.
import { UserError } from '../../core/user-error.js';

export function userErrorOf(f: () => void, what = 'it'): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(2);
    const msg = (e as UserError).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error(`${what} accepted it`);
}
