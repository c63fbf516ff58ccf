// Every built-in policy (bpf/policies/) on its workload: one source, the
// same decisions on every in-kernel path, its counters included. Where
// the kernel has bpf-ops that is ops against map (user against bpf is
// the host suite's test/policies.test.ts, and short-read's here); with
// one path only, short-read under user and bpf, as before bpf-ops.
import type { Check, Checks, Context } from './context.js';
import { expectEq, firstLine, opsShape, outcomeOf, summaryOf, type EngineView } from './expect.js';
import { chainsOf } from './workloads.js';

/** Each workload with the policy written for it. */
const PAIRS: [string, string][] = [
  ['short-read', 'short-read'], ['header-body', 'header-body'], ['copy', 'copy'], ['echo', 'echo'],
  ['echo-tcp', 'echo'], ['retry', 'retry'], ['nop-chain', 'nop-chain'], ['open-read-close', 'open-read-close'],
];

function withPolicy(ctx: Context, w: string, policy: string): Check {
  const bpfPolicyRuns = ctx.runs.filter((r) => r.path).map((r): [string, string[]] => [r.label, r.args]);
  const chains = chainsOf(ctx.root, w);
  const policyRuns: [string, string[]][] = w === 'short-read'
    ? [['user', ['--strategy', 'user']], ...bpfPolicyRuns]
    : bpfPolicyRuns.filter(([, args]) => !args.includes('--rings'));
  return {
    name: `${w} with C policy ${policy} under ${policyRuns.map(([l]) => l).join(', ')}`,
    async run({ scratch, uringscope }) {
      const got: [string, EngineView][] = [];
      for (const [label, args] of policyRuns) {
        const r = await uringscope(['run', w, ...args, '--policy', policy, '--chains', String(chains), '--json', '--scratch', scratch]);
        if (r.code !== 0) throw new Error(`${label}: exit ${r.code}: ${firstLine(r.stderr)}`);
        const s = summaryOf(r.stdout);
        const e = s.engine as EngineView;
        if (e.stopReason !== 'completed') throw new Error(`${label}: stopped (${e.stopReason})`);
        if (e.policy?.path === 'ops') opsShape(label, s, args.includes('--rings') ? 2 : 1);
        got.push([label, e]);
      }
      const [, first] = got[0];
      for (const [label, e] of got.slice(1)) {
        expectEq(`${label} against ${got[0][0]}`, { ...outcomeOf(e), stats: e.policy?.stats }, { ...outcomeOf(first), stats: first.policy?.stats });
      }
      return `${first.steps} steps, counters ${JSON.stringify(first.policy?.stats ?? {})}, identical`;
    },
  };
}

export const policyChecks: Checks = (ctx) =>
  !ctx.strategies.includes('bpf') ? [] : PAIRS.filter(([w]) => ctx.ops || w === 'short-read').map(([w, policy]) => withPolicy(ctx, w, policy));
