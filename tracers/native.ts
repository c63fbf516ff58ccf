// Loads the native addon once. Its path is found from the package root so
// the same code works from dist/ (compiled) and from the sources (tests).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../native/index.js';
import { UserError } from '../core/user-error.js';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('uringscope: cannot find its package root');
    dir = up;
  }
  return dir;
}

let cached: NativeAddon | undefined;

export function native(): NativeAddon {
  if (cached) return cached;
  const path = join(packageRoot(), 'native', 'build', 'Release', 'uringscope.node');
  if (!existsSync(path)) {
    throw new UserError(`the native core is not built (${path} is missing): run \`npm run build\``);
  }
  cached = createRequire(import.meta.url)(path) as NativeAddon;
  return cached;
}
