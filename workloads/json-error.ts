// Where a JSON.parse failure is, as a line and column, and what it was, from
// V8's message. Most messages end "in JSON at position N" (Node 22 adds
// "(line L column C)"); "Unexpected token" ones carry no position but quote
// the source around it (V8 JsonParser: up to 10 characters either side,
// "..." where cut), so the offending character is found in that excerpt.

const CONTEXT = 10;
const UNEXPECTED_TOKEN = /^(Unexpected token '(.)'), (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/;
const POSITION = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/;

/** Offset of the error in `text`, if the message lets us find it. */
function errorOffset(message: string, text: string): number | undefined {
  const at = POSITION.exec(message);
  if (at) return Number(at[1]);
  if (message === 'Unexpected end of JSON input') return text.length;
  const tok = UNEXPECTED_TOKEN.exec(message);
  if (!tok) return undefined;
  const [, , ch, cutBefore, excerpt, cutAfter] = tok;
  const start = !cutBefore ? 0 : cutAfter ? text.indexOf(excerpt) : text.length - excerpt.length;
  if (start < 0) return undefined;
  // V8 centres the excerpt on where it stopped; take the token's nearest occurrence
  const guess = cutBefore ? CONTEXT : cutAfter ? excerpt.length - CONTEXT : 0;
  let best: number | undefined;
  for (let i = excerpt.indexOf(ch); i >= 0; i = excerpt.indexOf(ch, i + 1)) {
    if (best === undefined || Math.abs(i - guess) < Math.abs(best - guess)) best = i;
  }
  return best === undefined ? undefined : start + best;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** `invalid JSON at line 3 column 7: Unexpected token 'r'` (no place when V8 gives none). */
export function describeJsonError(message: string, text: string): string {
  const offset = errorOffset(message, text);
  const what = UNEXPECTED_TOKEN.exec(message)?.[1] ?? message.replace(POSITION, '');
  if (offset === undefined) return `invalid JSON: ${what}`;
  const { line, column } = lineColumn(text, offset);
  return `invalid JSON at line ${line} column ${column}: ${what}`;
}
