// Makes text safe to print as one line on a terminal. Error messages quote
// what the user gave (file names, workload names, --comm, unknown flags), and
// those can hold ESC (a terminal escape sequence that rewrites the screen),
// NUL, newlines (a second, forged line) or bidirectional controls (RTL
// overrides that show text in another order than it is): each becomes a
// visible escape, so the line shows exactly what was given.

// C0 controls, DEL, C1 controls, and the Unicode bidi/invisible formatting marks.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
