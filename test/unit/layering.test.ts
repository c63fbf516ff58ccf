// The import layering, checked on the sources (no build needed):
//   folders    one order, each standing only on those after it:
//                bin → cli → tui → recording → workloads → tracers → core
//              plus native/index.d.ts (the addon's types) under them all;
//              test/, lab/ and bench/ stand outside it and may import anything
//   cycles     no two modules import each other, directly or around a loop,
//              counting every kind of import: `import type`, `export … from`
//              and `import()` too (a type-only cycle still ties the files
//              together: neither can be read, moved or tested alone)
//   core/      shared pieces; imports nothing of ours but native/index.d.ts types
//   cli/       one file per command (the COMMANDS table in cli/main.ts) plus
//              shared helpers; a command file never imports another one
//   bin/       what every command loads before it runs holds no TUI module
//              (react, ink, blessed): Node reads a module graph with many
//              files open at once, and ink's alone needed ~300 descriptors
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The folders, highest first: each may import itself and those after it. */
const ORDER = ['bin', 'cli', 'tui', 'recording', 'workloads', 'tracers', 'core'];
/** Under every folder of ORDER: the addon's type declarations. */
const UNDER_ALL = ['native/index.d.ts'];
/** Outside the order: they may import any folder (and none of ORDER imports them). */
const OUTSIDE = ['test', 'lab', 'bench'];

/** A specifier as written (`./x.js`) to the source file it names, from the package root. */
function resolveSpec(file: string, spec: string): string {
  const p = relative(ROOT, resolve(ROOT, dirname(file), spec));
  for (const q of [p.replace(/\.js$/, '.ts'), p.replace(/\.js$/, '.tsx'), p.replace(/\.js$/, '.d.ts')]) if (existsSync(join(ROOT, q))) return q;
  return p;
}

/**
 * Every relative import of a file, resolved to paths from the package root:
 * `import` (type-only too), `export … from`, `import()` and `import('…').T`
 * types, read by TypeScript's parser (an import named in a comment or a
 * string is not one).
 */
function importsOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const specs: string[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) specs.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteralLike(n.arguments[0])) specs.push(n.arguments[0].text);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) specs.push(n.argument.literal.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolveSpec(file, s));
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** The folder a path is in, as ORDER names it. */
const folderOf = (p: string) => p.split('/')[0];

/** Why `from` may not import `to`, or undefined when it may. */
function layerProblem(from: string, to: string): string | undefined {
  const a = ORDER.indexOf(folderOf(from));
  if (a < 0 || UNDER_ALL.includes(to)) return undefined;
  const b = ORDER.indexOf(folderOf(to));
  if (b < 0) return `${from} -> ${to}: ${folderOf(to)}/ is outside the order ${ORDER.join(' → ')}; only ${OUTSIDE.map((d) => `${d}/`).join(', ')} may import it`;
  if (b < a) return `${from} -> ${to}: ${folderOf(to)}/ is above ${folderOf(from)}/ in ${ORDER.join(' → ')}`;
  return undefined;
}

/**
 * The import cycles of a graph, one per strongly connected component (Tarjan),
 * each as the shortest loop through its first module: `a -> b -> c -> a`.
 */
function importCycles(graph: Map<string, string[]>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || graph.get(v)!.includes(v)) components.push(c);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return components.map((c) => {
    const inside = new Set(c);
    const start = [...c].sort()[0];
    // Breadth first from `start` inside its component, back to `start`: the shortest loop.
    const came = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v)!) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = came.get(u)!) path.splice(1, 0, u);
          return [...path, start].join(' -> ');
        }
        if (!came.has(w)) {
          came.set(w, v);
          queue.push(w);
        }
      }
    }
    return c.join(' -> ');
  });
}

/** The import graph of every module in the order and outside it (test/ aside: a test's helpers are its own). */
function importGraph(): Map<string, string[]> {
  return new Map([...ORDER, 'lab', 'bench'].flatMap(sources).map((f) => [f, importsOf(f)]));
}

/** The command files: those cli/main.ts imports a `...Builder` from. */
function commandFiles(): Set<string> {
  const main = readFileSync(join(ROOT, 'cli/main.ts'), 'utf8');
  const files = new Set<string>();
  for (const m of main.matchAll(/import\s*\{([^}]*)\}\s*from\s*'\.\/([^']+)\.js'/g)) {
    if (/\w+Builder\b/.test(m[1])) files.add(`cli/${m[2]}.ts`);
  }
  return files;
}

describe('layering', () => {
  test(`each folder imports only those below it: ${ORDER.join(' → ')}`, () => {
    const graph = importGraph();
    expect(graph.get('cli/main.ts')).toContain('cli/doctor.ts'); // the graph was read
    const bad = [...graph].flatMap(([f, is]) => is.map((i) => layerProblem(f, i)).filter((p) => p !== undefined));
    expect(bad).toEqual([]);
  });

  test('no import cycle between modules, type-only imports included', () => {
    expect(importCycles(importGraph())).toEqual([]);
  });

  test('the checks themselves: a loop is found and named, an import upward or outward is refused', () => {
    const g = new Map([['a', ['b']], ['b', ['c', 'd']], ['c', ['a']], ['d', []], ['e', ['e']]]);
    expect(importCycles(g)).toEqual(['a -> b -> c -> a', 'e -> e']);
    expect(layerProblem('tracers/x.ts', 'workloads/y.ts')).toContain('workloads/ is above tracers/');
    expect(layerProblem('core/x.ts', 'test/support.ts')).toContain('test/ is outside the order');
    expect(layerProblem('cli/x.ts', 'core/y.ts')).toBeUndefined();
    expect(layerProblem('core/x.ts', 'native/index.d.ts')).toBeUndefined();
    expect(layerProblem('test/x.ts', 'bin/uringscope.ts')).toBeUndefined();
  });

  test('a command file never imports another command file', () => {
    const cmds = commandFiles();
    expect(cmds.size).toBeGreaterThan(5); // the table was found
    const bad = [...cmds].flatMap((f) => importsOf(f).filter((i) => cmds.has(i) && i !== f).map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });

  test('core/ stands on nothing of ours but the native types', () => {
    const bad = sources('core').flatMap((f) =>
      importsOf(f).filter((i) => !i.startsWith('core/') && i !== 'native/index.d.ts').map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });

  test('what every command loads holds no TUI module: cli/ imports the TUI only dynamically, to run it', () => {
    const seen = new Set<string>();
    const packages = new Map<string, string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(join(ROOT, file), 'utf8');
      // static imports only: `import x from '...'`, `export ... from '...'`, `import '...'` (not `import type`)
      for (const m of src.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
        const spec = m[1];
        if (spec.startsWith('.')) walk(relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, existsSync(join(ROOT, file, '..', spec.replace(/\.js$/, '.tsx'))) ? '.tsx' : '.ts'));
        else if (!packages.has(spec)) packages.set(spec, file);
      }
    };
    walk('bin/uringscope.ts');
    walk('cli/main.ts'); // bin loads it with import(), after its own checks
    expect(seen.has('cli/report.ts')).toBe(true); // the walk follows the commands
    const tui = [...packages].filter(([p]) => /^(react|ink|blessed|blessed-contrib)(\/|$)/.test(p)).map(([p, f]) => `${f} -> ${p}`);
    expect(tui).toEqual([]);
  });
});
