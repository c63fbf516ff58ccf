// The import layering, checked on the sources (no build needed):
//   core/      shared pieces; imports nothing of ours but native/index.d.ts types
//   tui/       views and their controllers; never imports cli/
//   cli/       one file per command (the COMMANDS table in cli/main.ts) plus
//              shared helpers; a command file never imports another one
//   bin/       what every command loads before it runs holds no TUI module
//              (react, ink, blessed): Node reads a module graph with many
//              files open at once, and ink's alone needed ~300 descriptors
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Relative imports of a file, resolved to paths from the package root. */
function importsOf(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    out.push(relative(ROOT, resolve(ROOT, dirname(file), m[1])).replace(/\.js$/, '.ts'));
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
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
  test('tui/ never imports cli/', () => {
    const bad = sources('tui').flatMap((f) => importsOf(f).filter((i) => i.startsWith('cli/')).map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });

  test('a command file never imports another command file', () => {
    const cmds = commandFiles();
    expect(cmds.size).toBeGreaterThan(5); // the table was found
    const bad = [...cmds].flatMap((f) => importsOf(f).filter((i) => cmds.has(i) && i !== f).map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });

  test('core/ stands on nothing of ours but the native types', () => {
    const bad = sources('core').flatMap((f) =>
      importsOf(f).filter((i) => !i.startsWith('core/') && i !== 'native/index.ts').map((i) => `${f} -> ${i}`));
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
