// The package root: the nearest directory up from this module with a
// package.json, so the same code finds build/, native/ and workloads/ from
// dist/ (compiled) and from the sources (tests).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('uringscope: cannot find its package root');
    dir = up;
  }
  return dir;
}
