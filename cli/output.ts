// NDJSON output. Writes go through process.stdout, whose buffer Node
// flushes before exit; `flushStdout` lets the CLI wait for it explicitly.

export function writeLine(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

export function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.writableLength === 0) resolve();
    else process.stdout.write('', () => resolve());
  });
}
