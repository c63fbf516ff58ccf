// scripts/hooks/commit-msg, run as git runs it (commit-msg FILE) on message
// files as git writes them: the subject is the first line that is neither
// blank nor a # comment, `area: what changed` in at most 72 characters;
// a refusal is one line on stderr and exit 1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support.js';

const HOOK = join(ROOT, 'scripts', 'hooks', 'commit-msg');
const dir = mkdtempSync(join(tmpdir(), 'uringscope-commit-msg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The hook's exit code and stderr on a message file holding `message`. */
function hook(message: string): { code: number | null; err: string } {
  const file = join(dir, 'COMMIT_EDITMSG');
  writeFileSync(file, message);
  const r = spawnSync(HOOK, [file], { encoding: 'utf8' });
  return { code: r.status, err: r.stderr };
}

/** A refusal: exit 1 and one line naming the problem. */
function refusal(message: string): string {
  const r = hook(message);
  expect(r.code).toBe(1);
  expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  return r.err.trimEnd();
}

const TEMPLATE = '\n# Please enter the commit message for your changes. Lines starting\n# with \'#\' will be ignored.\n#\n# On branch facts\n';

describe('commit-msg hook', () => {
  test('`area: what changed` subjects pass, with a body, git\'s comment lines and an area list', () => {
    for (const subject of [
      'workloads: one concurrency bound, the replay\'s renamed',
      'tui, cli: the setup screen stops at the largest concurrency',
      'native/engine: postUser\'s comment',
      'lab: a_b-c.d 2 checks',
    ]) {
      expect([subject, hook(`${subject}\n\nWhy, in the body.\n${TEMPLATE}`)]).toEqual([subject, { code: 0, err: '' }]);
    }
    expect(hook(`# a comment first\n\n  \ncli: x\n`).code).toBe(0);
    expect(hook('cli: no newline at the end').code).toBe(0);
  });

  test('72 characters pass, 73 do not; characters, not bytes', () => {
    const at = (n: number) => `cli: ${'x'.repeat(n - 5)}`;
    expect(hook(`${at(72)}\n`).code).toBe(0);
    expect(refusal(`${at(73)}\n`)).toBe('commit-msg: the subject is 73 characters, more than 72: shorten it and put the rest in the body (after a blank line)');
    expect(hook(`cli: ${'é'.repeat(67)}\n`).code).toBe(0); // 72 characters, 139 bytes
  });

  test('a subject without `area: ` is refused, saying what the form is', () => {
    for (const subject of ['fix the TUI', 'README: a capital area', 'tui:no space', 'tui: ', 'tui,cli: x', ': x']) {
      expect(refusal(`${subject}\n\nbody\n`)).toMatch(/^commit-msg: the subject ".*" is not `area: what changed`: start it with the lowercase area it changes, e\.g\. /);
    }
  });

  test('an empty message, or one of comments only, is refused', () => {
    for (const message of ['', '\n\n', TEMPLATE]) {
      expect(refusal(message)).toBe('commit-msg: the message is empty: write a subject line such as `tui: what changed`');
    }
  });

  test('Merge subjects and git\'s fixup!/squash!/amend! subjects pass, however long', () => {
    for (const subject of [`Merge branch 'facts' of /work/${'x'.repeat(80)}`, 'Merge remote-tracking branch \'origin/main\'', 'fixup! tui: x', 'squash! Merge x', 'amend! cli: y']) {
      expect([subject, hook(`${subject}\n${TEMPLATE}`).code]).toEqual([subject, 0]);
    }
  });
});
