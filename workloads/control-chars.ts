// Paths the engine is given (path targets, the scratch directory from
// --scratch or TMPDIR, the --policy file) must hold no control character.
// The plan encodes them whatever they hold (plan-text.ts), so this is not
// what keeps the plan whole: a newline in a path is almost always an attack
// or a mistake (a pasted line break), and it would also forge lines in every
// message and log that prints the path. Refused up front, before anything
// exists.
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';

const NAMES: Record<number, string> = { 0: 'a NUL', 9: 'a tab', 10: 'a newline', 13: 'a carriage return', 27: 'an ESC' };

/** The first control character (0x00-0x1f, 0x7f) in `s`, described for a message, or undefined. */
export function controlChar(s: string): string | undefined {
  const i = s.search(/[\u0000-\u001f\u007f]/);
  if (i < 0) return undefined;
  const c = s.charCodeAt(i);
  return `${NAMES[c] ?? 'a control character'} (0x${c.toString(16).padStart(2, '0')}) at character ${i + 1}`;
}

/** The one-line refusal of a path with a control character in it, or undefined. */
export function controlCharProblem(what: string, path: string): string | undefined {
  const c = controlChar(path);
  return c && `${what} has ${c}: give a path without control characters (0x00-0x1f, 0x7f)`;
}

/** Throws that refusal as a UserError (exit 2: the input is wrong). */
export function refuseControlChars(what: string, path: string | undefined): void {
  const problem = path === undefined ? undefined : controlCharProblem(what, path);
  if (problem) throw new UserError(problem, EXIT_USAGE);
}
