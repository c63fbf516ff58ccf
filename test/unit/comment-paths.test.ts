// Comments that name a file of this repository (native/…, bpf/…, tui/…, …)
// must name one that exists: a comment pointing at a file that was renamed or
// never written sends the reader nowhere. `.js` in a path means the `.ts`/`.tsx`
// source; names with a placeholder (bpf/policies/NAME.c) or a glob are skipped,
// and so are #include lines (libbpf's headers under <bpf/> are not ours).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support.js';

const DIRS = 'native|bpf|tui|tracers|workloads|recording|cli|core|test|scripts|bench|lab|bin';
const PATH = new RegExp(`(?<![\\w./-])((?:${DIRS})/[\\w./-]*\\w\\.(?:tsx?|cc|c|h|sh|json|js))\\b`, 'g');
const COMMENT = /\/\/|\/\*|^\s*\*|^\s*#(?!\s*include)/;

// A walk, not `git ls-files`: the unit tier runs as any user, and git refuses a
// repository someone else owns.
const SKIP = new Set(['node_modules', 'build', 'dist', '.git']);
const SOURCE = /\.(tsx?|c|cc|h|sh)$/;

function sources(dir = ''): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : sources(rel);
    return e.isFile() && SOURCE.test(e.name) ? [rel] : [];
  });
}

const exists = (p: string) =>
  [p, p.replace(/\.js$/, '.ts'), p.replace(/\.js$/, '.tsx')].some((q) => existsSync(join(ROOT, q)));

test('every repository path named in a comment exists', () => {
  const missing: string[] = [];
  for (const f of sources()) {
    readFileSync(join(ROOT, f), 'utf8').split('\n').forEach((line, i) => {
      if (!COMMENT.test(line) || /^\s*#\s*include/.test(line)) return;
      for (const [, p] of line.matchAll(PATH)) if (!/[A-Z]{3,}/.test(p) && !exists(p)) missing.push(`${f}:${i + 1}: ${p}`);
    });
  }
  expect(missing).toEqual([]);
});
