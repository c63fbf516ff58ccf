// Loads the native addon once, from the package root.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeAddon } from '../native/index.js';
import { packageRoot } from '../core/package-root.js';
import { UserError } from '../core/user-error.js';

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
