// NDJSON output. Writes go through process.stdout, whose buffer Node
// flushes before exit; `flushStdout` lets the CLI wait for it explicitly.

import { forJson, type Summary } from '../tracers/summary.js';

/** One NDJSON line; summaries and intervals leave out what was not measured. */
export function writeLine(obj: unknown): void {
  const o = obj as Partial<Summary> | null;
  const line = o && (o.type === 'summary' || o.type === 'interval') && o.absent ? forJson(o as Summary) : obj;
  process.stdout.write(JSON.stringify(line) + '\n');
}

export function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.writableLength === 0) resolve();
    else process.stdout.write('', () => resolve());
  });
}
