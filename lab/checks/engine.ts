// The engine's checks: every built-in workload under every strategy (and bpf
// path) this kernel runs, with identical steps, bytes and checksums; and one
// workload run again and again under user.
import type { Check, Checks, Context } from './context.js';
import { expectEq, firstLine, opsShape, outcomeOf, summaryOf, type EngineView } from './expect.js';
import { builtins, chainsOf } from './workloads.js';

// The repeated user-strategy run: each takes 15-35 s under TCG (more on a loaded host), so 4 keep the check near 2 minutes.
const USER_REPEATS = 4;
const USER_REPEAT_CHAINS = 400;

function underEveryStrategy(ctx: Context, w: string): Check {
  const { runs } = ctx;
  const chains = chainsOf(ctx.root, w);
  return {
    name: `${w} under ${runs.map((r) => r.label).join(', ')}`,
    async run({ scratch, uringscope }) {
      const seen: Record<string, EngineView> = {};
      for (const run of runs) {
        const r = await uringscope(['run', w, ...run.args, '--chains', String(chains), '--json', '--scratch', scratch]);
        if (r.code !== 0) throw new Error(`${run.label}: exit ${r.code}: ${firstLine(r.stderr)}`);
        const s = summaryOf(r.stdout);
        const e = s.engine as EngineView;
        if (e.stopReason !== 'completed') throw new Error(`${run.label}: stopped (${e.stopReason})`);
        if (run.path) expectEq(`${run.label}: engine.policy.path`, e.policy?.path, run.path);
        if (run.path === 'ops') opsShape(run.label, s, run.args.includes('--rings') ? 2 : 1);
        seen[run.label] = e;
      }
      const first = outcomeOf(seen[runs[0].label]);
      for (const run of runs.slice(1)) expectEq(`${run.label} against ${runs[0].label}`, outcomeOf(seen[run.label]), first);
      const loop = seen['bpf (ops)'];
      return `${first.chains} chains, ${first.steps} steps, ${first.bytes} bytes, identical` +
        (loop ? `; ops: ${loop.enterCalls} io_uring_enter, ${loop.policy?.loopSteps} loop steps` : '');
    },
  };
}

// The same run several times: a stall that comes only now and then needs
// repeats to show. The engine stops a run after 10 s without a completion
// and says what it waited for, so such a run fails here with that line.
const userRepeats: Check = {
  name: `short-read under user, ${USER_REPEATS} runs of ${USER_REPEAT_CHAINS} chains: exact counts each`,
  async run({ scratch, uringscope }) {
    const walls: string[] = [];
    for (let i = 1; i <= USER_REPEATS; i++) {
      const r = await uringscope(['run', 'short-read', '--strategy', 'user', '--chains', String(USER_REPEAT_CHAINS), '--json', '--scratch', scratch], 120_000);
      if (r.code !== 0) throw new Error(`run ${i}: exit ${r.code}: ${firstLine(r.stderr)}`);
      const s = summaryOf(r.stdout);
      const e = s.engine as EngineView;
      // short-read: 4 steps a chain (4096, 4096, 1808 bytes, then EOF) over a 10000-byte file.
      expectEq(`run ${i}: stopReason, chains, failed, steps, bytes`, [e.stopReason, e.chains, e.chainsFailed, e.steps, e.bytes],
        ['completed', USER_REPEAT_CHAINS, 0, 4 * USER_REPEAT_CHAINS, 10000 * USER_REPEAT_CHAINS]);
      expectEq(`run ${i}: engine READ submitted/completed`, [e.requests.READ?.submitted, e.requests.READ?.completed], [4 * USER_REPEAT_CHAINS, 4 * USER_REPEAT_CHAINS]);
      expectEq(`run ${i}: traced READ submitted/completed`, [s.requests.READ?.submitted, s.requests.READ?.completed], [4 * USER_REPEAT_CHAINS, 4 * USER_REPEAT_CHAINS]);
      walls.push(`${(e.wallNs / 1e6).toFixed(0)}`);
    }
    return `${USER_REPEATS} x ${USER_REPEAT_CHAINS} chains, ${4 * USER_REPEAT_CHAINS} reads each; engine ms: ${walls.join(', ')}`;
  },
};

export const engineChecks: Checks = (ctx) => [...builtins(ctx.root).map((w) => underEveryStrategy(ctx, w)), userRepeats];
