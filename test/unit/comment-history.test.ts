// A comment says why the code is as it is, and a test title what is
// checked; neither tells the code's history. An issue or pull-request
// number means nothing to a reader without the tracker (and nothing at all
// once the repository moves), and a bracketed "was …" describes code that is
// no longer there: both belong in the commit message, which git keeps next to
// the change. Checked in the comments of every .ts/.tsx/.c/.cc/.h/.sh
// source, in every test title, and in our JSON (which has no comments: its
// descriptions are its comments).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../support.js';

/** What tells history, and what each is called in a failure. */
const HISTORY: [RegExp, string][] = [
  [/\bissues? #?\d+/i, 'an issue number'],
  [/(?<![\w&#/])#\d+\b/, 'an issue or pull-request number'],
  [/\(was /i, '"(was …)"'],
];

// A walk, not `git ls-files`: the unit tier runs as any user, and git refuses a
// repository someone else owns.
const SKIP = new Set(['node_modules', 'build', 'dist', '.git']);
const SOURCE = /\.(tsx?|c|cc|h|sh|json)$/;

function files(dir = ''): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : files(rel);
    return e.isFile() && SOURCE.test(e.name) && e.name !== 'package-lock.json' ? [rel] : [];
  });
}

interface Text {
  /** Offset in the file, for the line number. */
  at: number;
  text: string;
}

const TEST_CALL = /^(?:\w*[tT]est|it|describe)(?:\.(?:only|skip|each|concurrent|failing|todo))*$/;

/** The comments of a TypeScript file (from the parser, so strings and regexes are not read as comments) and its test titles. */
function fromTypeScript(file: string, src: string): Text[] {
  const sf = ts.createSourceFile(file, src, ts.ScriptTarget.Latest, false, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out = new Map<number, Text>();
  const add = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) out.set(r.pos, { at: r.pos, text: src.slice(r.pos, r.end) });
  };
  // Every token's trivia: the comments on lines of their own before it, and the one after it on its line.
  const visit = (n: ts.Node) => {
    if (n.kind !== ts.SyntaxKind.JsxText) {
      add(ts.getLeadingCommentRanges(src, n.pos));
      add(ts.getTrailingCommentRanges(src, n.end));
    }
    if (ts.isCallExpression(n)) {
      const callee = ts.isCallExpression(n.expression) ? n.expression.expression : n.expression; // test.each(rows)('title')
      const title = n.arguments[0];
      // The title as written: a literal, a template or a concatenation.
      if (TEST_CALL.test(callee.getText(sf)) && title) {
        out.set(title.getStart(sf), { at: title.getStart(sf), text: title.getText(sf) });
      }
    }
    for (const c of n.getChildren(sf)) visit(c);
  };
  visit(sf);
  return [...out.values()];
}

/** The comments of a C/C++ file: // and block comments, outside string and character literals. */
function fromC(src: string): Text[] {
  const out: Text[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'") {
      for (i++; i < src.length && src[i] !== c && src[i] !== '\n'; i++) if (src[i] === '\\') i++;
    } else if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const to = end < 0 ? src.length : end;
      out.push({ at: i, text: src.slice(i, to) });
      i = to;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const to = end < 0 ? src.length : end + 2;
      out.push({ at: i, text: src.slice(i, to) });
      i = to - 1;
    }
  }
  return out;
}

/** The comments of a shell script: from a # that starts a word to the end of the line, outside quotes; not the #! line. */
function fromShell(src: string): Text[] {
  const out: Text[] = [];
  let at = 0;
  for (const line of src.split('\n')) {
    let quote = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === quote) quote = '';
        else if (c === '\\' && quote === '"') i++;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '\\') i++;
      else if (c === '#' && (i === 0 || /\s/.test(line[i - 1])) && !(at === 0 && line.startsWith('#!'))) {
        out.push({ at: at + i, text: line.slice(i) });
        break;
      }
    }
    at += line.length + 1;
  }
  return out;
}

function textsOf(file: string, src: string): Text[] {
  if (/\.tsx?$/.test(file)) return fromTypeScript(file, src);
  if (file.endsWith('.sh')) return fromShell(src);
  if (file.endsWith('.json')) return [{ at: 0, text: src }];
  return fromC(src);
}

/** `file:line: what` for every place in `src` that tells history. */
export function historyIn(file: string, src: string): string[] {
  const found: string[] = [];
  for (const t of textsOf(file, src)) {
    for (const [re, what] of HISTORY) {
      // JSON has no comments to tell an issue from a value's number sign: only words count there.
      if (file.endsWith('.json') && re === HISTORY[1][0]) continue;
      const m = re.exec(t.text);
      if (m) found.push(`${file}:${src.slice(0, t.at + m.index).split('\n').length}: ${what}: ${m[0]}`);
    }
  }
  return found;
}

describe('history stays out of comments and test titles', () => {
  test('the kinds of text the check reads, and what it leaves alone', () => {
    expect(historyIn('a.ts', '// fixed in issue 12\nconst s = "issue 12"; // why\n')).toEqual(['a.ts:1: an issue number: issue 12']);
    expect(historyIn('a.ts', "const re = /'/; /* see #34 */\nconst v = '#1';\n")).toEqual(['a.ts:1: an issue or pull-request number: #34']);
    expect(historyIn('a.test.ts', "test('refused (was ' + 'a crash)', () => {});\nbpfTest.each([1])('%s: fine', () => {});\n"))
      .toEqual(['a.test.ts:1: "(was …)": (was ']);
    expect(historyIn('a.tsx', 'const v = <Text>issue 1 of the magazine</Text>; // ok\n')).toEqual([]);
    expect(historyIn('a.cc', '#include <x.h>\nconst char *s = "// issue 3";\n/* (was slower) */\n')).toEqual(['a.cc:3: "(was …)": (was ']);
    expect(historyIn('a.sh', '#!/bin/sh\necho "#2" ${#a} # PR #77\n')).toEqual(['a.sh:2: an issue or pull-request number: #77']);
    expect(historyIn('a.json', '{ "description": "loops (was: issue 9)", "v": "#1" }')).toEqual(['a.json:1: an issue number: issue 9']);
  });

  test('no comment, test title or JSON of ours names an issue or says what the code was', () => {
    const all = files();
    expect(all.length).toBeGreaterThan(100); // the walk found the sources
    expect(all.flatMap((f) => historyIn(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });
});
