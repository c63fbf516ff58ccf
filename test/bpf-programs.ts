// The BPF programs loaded in the kernel, as `bpftool prog list --json` lists
// them: for the tests and for lab/guest-checks.ts. lab/ is built by
// tsconfig.json into dist/lab/ and run from there, so what it imports is
// built into dist/ too: this module needs nothing but node:child_process,
// whereas test/support.ts finds the CLI and helpers relative to its own
// file, which from dist/test/ would point into dist/dist/.
import { execFileSync } from 'node:child_process';

/** The fields of a bpftool program entry the checks read. */
export interface BpfProgram {
  id: number;
  /** The BTF name, or the first 15 characters without BTF; absent for unnamed programs. */
  name?: string;
  type?: string;
}

/** Every program now loaded in the kernel (needs root, as bpftool does). */
export function bpfPrograms(): BpfProgram[] {
  return JSON.parse(execFileSync('bpftool', ['prog', 'list', '--json'], { encoding: 'utf8' })) as BpfProgram[];
}

/** The ids of every program now loaded. */
export function loadedProgramIds(): Set<number> {
  return new Set(bpfPrograms().map((p) => p.id));
}
