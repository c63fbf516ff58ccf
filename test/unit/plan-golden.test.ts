// compilePlan (workloads/plan.ts) against golden plan text: every built-in
// workload compiled for strategy user, plus a few override sets, each in
// test/unit/golden/<name>.plan. A change to the plan format or to a built-in
// shows here as a diff to review. After an intended change, regenerate with
//   UPDATE_GOLDEN=1 npm run test:unit -- plan-golden
// and commit the .plan files with the change that caused them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listWorkloads } from '../../workloads/catalog.js';
import { loadWorkloadFile } from '../../workloads/load.js';
import { compilePlan, type RunOverrides } from '../../workloads/plan.js';
import { ROOT } from '../support.js';

const GOLDEN = join(ROOT, 'test', 'unit', 'golden');
const SCRATCH = '/scratch'; // a fixed scratch dir: target paths in the plan stay stable
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const builtins = listWorkloads([]).filter((w) => w.source === 'builtin');
const cases: [string, string, RunOverrides][] = [
  ...builtins.map((w): [string, string, RunOverrides] => [w.name, w.path, { strategy: 'user' }]),
  ['nop-chain.link', 'nop-chain', { strategy: 'link', chains: 10, concurrency: 4, checksum: false }],
  ['nop-chain.bpf-ops', 'nop-chain', { strategy: 'bpf', bpfPath: 'ops', rings: 2, stepBudget: 1000, durationS: 1.5 }],
  ['copy.bpf-map', 'copy', { strategy: 'bpf', progressMs: 100 }],
];

describe('compilePlan golden files', () => {
  test('there are built-ins to compile', () => expect(builtins.length).toBeGreaterThan(0));

  test.each(cases)('%s', (name, source, o) => {
    const path = source.includes('/') ? source : builtins.find((w) => w.name === source)!.path;
    const plan = compilePlan(loadWorkloadFile(path), o, SCRATCH);
    const file = join(GOLDEN, `${name}.plan`);
    if (UPDATE) writeFileSync(file, plan);
    expect(existsSync(file)).toBe(true); // missing: run with UPDATE_GOLDEN=1
    expect(plan).toBe(readFileSync(file, 'utf8'));
  });
});
