// The compiled-policy cache stays bounded: the oldest entries go beyond the
// entry count or the byte bound, never the one in use; builds a killed
// uringscope left halfway go once their pid is gone.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundPolicyCache } from '../../workloads/policy-cache.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'uringscope-cache-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Entry `name`, last used `ageS` seconds ago, holding `bytes` bytes. */
function entry(name: string, ageS: number, bytes = 100): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'policy.so'), Buffer.alloc(bytes));
  const t = new Date(Date.now() - ageS * 1000);
  utimesSync(dir, t, t);
  return dir;
}

test('beyond the entry bound the oldest go, but never the one in use', () => {
  for (let i = 0; i < 10; i++) entry(`e${i}`, 100 - i); // e9 is the newest
  boundPolicyCache(root, join(root, 'e0'), 4);
  expect(readdirSync(root).sort()).toEqual(['e0', 'e7', 'e8', 'e9']);
});

test('beyond the byte bound the oldest go', () => {
  for (let i = 0; i < 5; i++) entry(`e${i}`, 100 - i, 1000);
  boundPolicyCache(root, undefined, 64, 2500);
  expect(readdirSync(root).sort()).toEqual(['e3', 'e4']);
});

test('a half-made build is removed once its pid is gone, kept while it runs', () => {
  const dead = spawnSync('true').pid!;
  mkdirSync(join(root, `abc.${dead}.tmp`));
  mkdirSync(join(root, `abd.${process.pid}.tmp`));
  boundPolicyCache(root);
  expect(readdirSync(root)).toEqual([`abd.${process.pid}.tmp`]);
});
