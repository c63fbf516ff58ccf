// Comments and docs that name a file of this repository (native/…, bpf/…,
// docs/contract.md, README.md, …) must name one that exists: a pointer to a
// file that was renamed, moved or never written sends the reader nowhere.
// `.js` in a path means the `.ts`/`.tsx` source; names with a placeholder
// (bpf/policies/NAME.c) or a glob are skipped, and so are #include lines
// (libbpf's headers under <bpf/> are not ours). In README.md and docs/*.md
// every line counts, and every relative link must resolve, down to its
// #anchor.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { ROOT } from '../support.js';

const DIRS = 'native|bpf|tui|tracers|workloads|recording|cli|core|test|scripts|bench|lab|bin|docs';
const PATH = new RegExp(`(?<![\\w./-])((?:${DIRS})/[\\w./-]*\\w\\.(?:tsx?|cc|c|h|sh|json|js|md))\\b`, 'g');
/** Any Markdown file named by its repository path: README.md, docs/contract.md. */
const MD_PATH = /(?<![\w./-])((?:[\w.-]+\/)*[\w.-]*\w\.md)\b/g;
const COMMENT = /\/\/|\/\*|^\s*\*|^\s*#(?!\s*include)/;
/** A Markdown link or image: [text](target) — the target without a title. */
const LINK = /\[[^\]]*\]\(([^()\s]*)(?:\s+"[^"]*")?\)/g;

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

/** README.md and every page under docs/. */
function markdown(): string[] {
  const docs = existsSync(join(ROOT, 'docs')) ? readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : [];
  return ['README.md', ...docs];
}

const exists = (p: string) =>
  [p, p.replace(/\.js$/, '.ts'), p.replace(/\.js$/, '.tsx')].some((q) => existsSync(join(ROOT, q)));

/** A placeholder such as NAME or FILE (README is a real name). */
const placeholder = (p: string) => /[A-Z]{3,}/.test(p.replace(/README/g, ''));

/** Repository paths named on a line that do not exist. */
function missingOn(line: string): string[] {
  const named = [...line.matchAll(PATH), ...line.matchAll(MD_PATH)].map((m) => m[1]);
  return [...new Set(named)].filter((p) => !placeholder(p) && !exists(p));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const h = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) out.add(slug(h[1]));
  }
  return out;
}

/** Why a link from `file` does not resolve, or undefined when it does. */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z+.-]*:/i.test(target)) return undefined; // https:, mailto:, ...
  const [path, anchor] = target.split('#', 2);
  const dest = path ? normalize(join(dirname(file), path)) : file;
  if (dest.startsWith('..')) return `${target}: outside the repository`;
  if (!existsSync(join(ROOT, dest))) return `${target}: no such file`;
  if (anchor !== undefined && dest.endsWith('.md') && !anchors(dest).has(anchor)) return `${target}: no heading #${anchor} in ${dest}`;
  return undefined;
}

test('every repository path named in a comment exists', () => {
  const missing: string[] = [];
  for (const f of sources()) {
    readFileSync(join(ROOT, f), 'utf8').split('\n').forEach((line, i) => {
      if (!COMMENT.test(line) || /^\s*#\s*include/.test(line)) return;
      for (const p of missingOn(line)) missing.push(`${f}:${i + 1}: ${p}`);
    });
  }
  expect(missing).toEqual([]);
});

test('every repository path named in README.md and docs/ exists, and every link there resolves', () => {
  const pages = markdown();
  expect(pages).toContain('docs/contract.md');
  const missing: string[] = [];
  for (const f of pages) {
    readFileSync(join(ROOT, f), 'utf8').split('\n').forEach((line, i) => {
      // Link targets are relative to the page (their text is a title, not a
      // path); the rest of the line names repository paths.
      for (const [, target] of line.matchAll(LINK)) {
        const why = brokenLink(f, target);
        if (why) missing.push(`${f}:${i + 1}: ${why}`);
      }
      for (const p of missingOn(line.replace(LINK, ''))) missing.push(`${f}:${i + 1}: ${p}`);
    });
  }
  expect(missing).toEqual([]);
});
