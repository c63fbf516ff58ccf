// The engine's bpf ops path (7.1+), where it can go wrong: a runaway policy,
// a policy the verifier refuses, and uringscope killed mid-run.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Checks, Context } from './context.js';
import { expectEq, summaryOf, type EngineView } from './expect.js';
import { noProgramsWithin, ourPrograms } from './programs.js';

const ops = (ctx: Context) => ctx.ops;

const runaway: Check = {
  name: 'bpf (ops): a runaway is stopped by the step budget (IOU_LOOP_STOP), nothing left attached',
  when: ops,
  async run({ scratch, uringscope }) {
    const r = await uringscope(['run', 'nop-chain', '--strategy', 'bpf', '--bpf-path', 'ops', '--chains', '1000000', '--step-budget', '5000', '--json', '--scratch', scratch]);
    expectEq('exit status', r.code, 1);
    const e = summaryOf(r.stdout).engine as EngineView & { policy: { stepsFromBpf: number; loopStops: number } };
    expectEq('stopReason', e.stopReason, 'budget');
    if (!(e.policy.stepsFromBpf <= 5000)) throw new Error(`stepsFromBpf ${e.policy.stepsFromBpf} > 5000`);
    expectEq('loopStops', e.policy.loopStops, 1);
    await noProgramsWithin(10_000);
    return `${e.policy.stepsFromBpf} steps, ${e.enterCalls} io_uring_enter, stopped by the loop`;
  },
};

const refused: Check = {
  name: 'bpf (ops): a policy the verifier refuses is one line naming it',
  when: ops,
  async run({ root, uringscope }) {
    const r = await uringscope(['run', 'nop-chain', '--strategy', 'bpf', '--bpf-path', 'ops', '--policy', join(root, 'test/policies/out-of-bounds.c'), '--chains', '10', '--json']);
    expectEq('exit status', r.code, 1);
    const lines = r.stderr.trim().split('\n');
    if (lines.length !== 1 || !/the verifier of Linux \S+ refused policy out-of-bounds\.c/.test(lines[0])) throw new Error(`stderr: ${r.stderr.trim()}`);
    return lines[0].replace(/^.*refused/, 'refused').slice(0, 80);
  },
};

const killed: Check = {
  name: 'bpf (ops): uringscope killed with SIGKILL mid-run: the engine and its ops go too',
  when: ops,
  async run({ root, cli, scratch }) {
    const child = spawn(process.execPath, [cli, 'run', 'nop-chain', '--strategy', 'bpf', '--bpf-path', 'ops', '--duration', '60', '--json', '--scratch', scratch], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // The first interval line comes from the tracer, which can be ready before the engine has
    // loaded and attached its policy (seconds under TCG): wait for both, then kill.
    try {
      const t0 = Date.now();
      while (!out.includes('"type":"interval"') || !ourPrograms().some((n) => n.startsWith('policy_loop'))) {
        if (child.exitCode !== null) throw new Error(`run ended early (exit ${child.exitCode})`);
        if (Date.now() - t0 > 60_000) throw new Error(`within 60 s: ${out.includes('"type":"interval"') ? 'no loop step attached' : 'no interval line'}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    } finally {
      child.kill('SIGKILL');
    }
    await noProgramsWithin(10_000);
    const engines = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'uringscope-engi';
      } catch {
        return false;
      }
    });
    if (engines.length) throw new Error(`engine still running: pid ${engines.join(', ')}`);
  },
};

export const engineOpsChecks: Checks = () => [runaway, refused, killed];
