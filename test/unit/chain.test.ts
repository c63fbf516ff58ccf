// The chain rules (bpf/chain.h's us_plan/us_complete) as the C compiler sees
// them: each harness in test/unit/c/ is built by `make unit` into build/unit/
// and exits non-zero, naming the failed check, when a rule does not hold.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support.js';

const harnesses = readdirSync(join(ROOT, 'test', 'unit', 'c')).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2));

describe('C harnesses (make unit)', () => {
  test.each(harnesses)('%s', (name) => {
    const bin = join(ROOT, 'build', 'unit', name);
    expect(existsSync(bin)).toBe(true); // `make unit` (part of `make all`) builds it
    const r = spawnSync(bin, { encoding: 'utf8', timeout: 10000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
