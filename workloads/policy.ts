// C chain policies (`--policy FILE.c` or a built-in name from bpf/policies/):
// found, compiled twice from one source (BPF for strategy bpf, a shared
// object for strategy user) by scripts/build-policy.sh, and cached by the
// content of everything that goes into them, so a second run starts at once
// (the cache is bounded: policy-cache.ts).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { packageRoot } from '../core/package-root.js';
import { boundPolicyCache, POLICY_CACHE_DIR, policyCacheRoot, touchEntry } from './policy-cache.js';
import { ownTmpSubdir, tmpdirError } from './temp-dir.js';

const run = promisify(execFile);

export interface PolicyBuild {
  /** What messages call it: the source file's name. */
  name: string;
  source: string;
  bpfObject: string;
  nativeObject: string;
}

export function policyDir(): string {
  return join(packageRoot(), 'bpf', 'policies');
}

/** Built-in policies: bpf/policies/NAME.c (the declarative interpreter, chain.bpf.c, is not one). */
export function builtinPolicies(): string[] {
  return readdirSync(policyDir())
    .filter((f) => f.endsWith('.c') && !f.endsWith('.bpf.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

/**
 * A policy file must be a readable regular file with something in it: it is
 * hashed (read whole) for the cache and handed to clang, so a directory was
 * an EISDIR internal error and a FIFO would be read twice.
 */
function checkPolicyFile(arg: string, p: string): void {
  let st;
  try {
    st = statSync(p);
    accessSync(p, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `policy file ${arg} not found` : `cannot read policy file ${arg}: ${code ?? e}`, EXIT_USAGE);
  }
  if (st.isDirectory()) throw new UserError(`policy file ${arg} is a directory: give a .c file`, EXIT_USAGE);
  if (!st.isFile()) throw new UserError(`policy file ${arg} is not a regular file: give a .c file`, EXIT_USAGE);
  if (st.size === 0) throw new UserError(`policy file ${arg} is empty: a policy defines US_ON_START(c) and US_ON_COMPLETE(c, e) (see bpf/uringscope.h)`, EXIT_USAGE);
}

/** A policy argument: a file (anything with a slash or ending in .c) or a built-in name. */
export function resolvePolicy(arg: string): string {
  if (arg.includes('/') || arg.endsWith('.c')) {
    const p = resolve(arg);
    checkPolicyFile(arg, p);
    return p;
  }
  const p = join(policyDir(), `${arg}.c`);
  if (!existsSync(p)) throw new UserError(`unknown policy "${arg}": built-ins are ${builtinPolicies().join(', ')}; or give a .c file`, EXIT_USAGE);
  return p;
}

// Everything a build depends on besides the policy itself.
const INPUTS = [
  'bpf/uringscope.h', 'bpf/policy_runtime.h', 'bpf/chain.h', 'bpf/policy.h', 'bpf/tracer.h', 'bpf/hist.h',
  'bpf/runtime/ring.bpf.h', 'bpf/runtime/ops.bpf.h', 'bpf/bpf_ops.h', 'bpf/runtime/policy.bpf.c', 'bpf/replay.h', 'native/policy/runtime.c', 'scripts/build-policy.sh',
];

function cacheKey(source: string): string {
  const h = createHash('sha256');
  h.update(readFileSync(source));
  for (const f of INPUTS) h.update(readFileSync(join(packageRoot(), f)));
  return h.digest('hex').slice(0, 24);
}

/** The first compiler error, as one line ("file.c:12:5: error: ..."). */
export function firstCompileError(stderr: string, source: string): string {
  const lines = stderr.split('\n');
  const err = lines.find((l) => /\berror:/.test(l) && l.includes(basename(source))) ?? lines.find((l) => /\berror:/.test(l));
  return (err ?? lines.find((l) => l.trim()) ?? 'the compiler failed').replace(/^.*\//, '').trim();
}

/** Compiles a policy (or takes it from the cache). Compile errors are UserErrors of one line. */
export async function buildPolicy(arg: string): Promise<PolicyBuild> {
  const source = resolvePolicy(arg);
  const name = basename(source);
  const dir = join(policyCacheRoot(), cacheKey(source));
  const built: PolicyBuild = { name, source, bpfObject: join(dir, 'policy.bpf.o'), nativeObject: join(dir, 'policy.so') };
  // policy.ops.bpf.o (the bpf-ops shape) sits next to policy.bpf.o: the engine finds it by name.
  if (existsSync(built.bpfObject) && existsSync(built.bpfObject.replace(/\.bpf\.o$/, '.ops.bpf.o')) && existsSync(built.nativeObject)) {
    touchEntry(dir);
    boundPolicyCache(policyCacheRoot(), dir);
    return built;
  }
  // Build next to the cache entry and move it in whole: a run killed halfway
  // leaves no entry that looks complete.
  const root = ownTmpSubdir(POLICY_CACHE_DIR, 'the compiled-policy cache');
  const tmp = join(root, `${basename(dir)}.${process.pid}.tmp`);
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
  } catch (e) {
    throw tmpdirError('the compiled-policy cache', e);
  }
  try {
    await run(join(packageRoot(), 'scripts', 'build-policy.sh'), [source, tmp], { maxBuffer: 16 << 20 });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as { code?: string | number; stderr?: string };
    if (err.code === 'ENOENT') throw new UserError('cannot compile policies: clang or the build script is missing (run scripts/install.sh)');
    throw new UserError(`policy ${name} does not compile: ${firstCompileError(err.stderr ?? '', source)}`);
  }
  boundPolicyCache(policyCacheRoot(), dir);
  return built;
}
