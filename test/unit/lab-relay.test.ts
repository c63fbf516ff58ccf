// The matrix tells a stopped guest by its silence (lab/relay.ts): only the
// checks' lines count as progress, never the kernel's own console messages,
// which a guest with every CPU in a soft lockup goes on printing.
import { PassThrough } from 'node:stream';
import { bootLost, isKernelMessage, relay } from '../../lab/relay.js';
import type { KernelResult } from '../../lab/results.js';
import { ROOT } from '../support.js';

function sink() {
  const s = new PassThrough();
  let text = '';
  s.on('data', (d) => (text += d));
  return { s, text: () => text };
}

test('printk lines are the kernel\'s; the checks\' lines are not', () => {
  expect(isKernelMessage('[ 1040.664896] watchdog: BUG: soft lockup - CPU#1 stuck for 913s! [node:181]')).toBe(true);
  expect(isKernelMessage('[    0.000000] Linux version 6.1.0-57-amd64')).toBe(true);
  expect(isKernelMessage('ok   doctor: bpf via ops; every figure measured (15.1 s, emulated)')).toBe(false);
  expect(isKernelMessage('...  copy under link, user, bpf: still running (30 s)')).toBe(false);
  expect(isKernelMessage('[6.1] kernel-lab: exit 0')).toBe(false);
});

test('a guest printing only kernel messages is stopped as stalled', async () => {
  const out = sink();
  const loop = 'while :; do echo "[ 1040.664896] watchdog: BUG: soft lockup - CPU#0 stuck for 913s! [node:127]"; sleep 0.1; done';
  const r = await relay('sh', ['-c', loop], { cwd: ROOT, prefix: 'k', silenceS: 2, out: out.s, err: out.s });
  expect(r).toBe('stalled');
  expect(out.text()).toContain('[k] [ 1040.664896] watchdog: BUG: soft lockup');
  expect(out.text()).toContain('[k] no progress for 2 s: the guest has stalled; stopping it');
});

test('a guest whose checks print is relayed to its exit status, partial last line included', async () => {
  const out = sink();
  const script = 'for i in 1 2 3; do echo "ok   check $i"; echo "[    1.00000$i] kernel line" >&2; done; printf "last"; exit 3';
  const r = await relay('sh', ['-c', script], { cwd: ROOT, prefix: '6.1', silenceS: 60, out: out.s, err: out.s });
  expect(r).toBe(3);
  expect(out.text().split('\n').filter((l) => l.startsWith('[6.1] ok   check'))).toHaveLength(3);
  expect(out.text()).toContain('[6.1] [    1.000003] kernel line\n');
  expect(out.text()).toContain('[6.1] last\n');
});

test('a boot is lost when the guest stalled or its kernel died before the checks were complete', () => {
  const result = (complete: boolean): KernelResult => ({ kernel: 'k', package: 'p', emulated: true, strategies: {}, checks: [], complete });
  expect(bootLost('stalled', undefined)).toBe(true);
  expect(bootLost(125, undefined)).toBe(true); // died before the first check wrote results.json
  expect(bootLost(125, result(false))).toBe(true);
  expect(bootLost(125, result(true))).toBe(false); // every check done: nothing to boot again for
  expect(bootLost(0, result(true))).toBe(false);
  expect(bootLost(1, result(true))).toBe(false); // a check failed: that is a result, not a lost boot
  expect(bootLost(124, result(false))).toBe(false); // the guest's whole time ran out
});
