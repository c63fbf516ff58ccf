// The lab reads Debian's archive URIs from the machine's apt configuration
// (scripts/kernel-lab.sh archives), so it works behind a local mirror: a
// deb822 .sources file, a one-line sources.list, and neither.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAB = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'kernel-lab.sh');

function archives(files: Record<string, string>, env: Record<string, string> = {}) {
  const etc = mkdtempSync(join(tmpdir(), 'lab-apt-'));
  try {
    mkdirSync(join(etc, 'sources.list.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text);
    const r = spawnSync('bash', [LAB, 'archives'], { encoding: 'utf8', env: { ...process.env, URINGSCOPE_LAB_APT_ETC: etc, ...env } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  } finally {
    rmSync(etc, { recursive: true, force: true });
  }
}

describe('kernel-lab.sh archives', () => {
  test('deb822 sources: the main and security URIs of a local mirror', () => {
    const r = archives({
      'sources.list.d/debian.sources': [
        'Types: deb', 'URIs: http://mirror.local/debian/', 'Suites: bookworm bookworm-updates', 'Components: main', '',
        'Types: deb', 'URIs: http://mirror.local/debian-security', 'Suites: bookworm-security', 'Components: main', '',
      ].join('\n'),
    });
    expect(r.err).toBe('');
    expect(r.out).toBe('archive  http://mirror.local/debian\nsecurity http://mirror.local/debian-security\n');
  });

  test('one-line sources.list entries, with options', () => {
    const r = archives({
      'sources.list': 'deb [arch=amd64] http://proxy:3142/debian bookworm main\ndeb http://proxy:3142/security bookworm-security main\n',
    });
    expect(r.out).toBe('archive  http://proxy:3142/debian\nsecurity http://proxy:3142/security\n');
  });

  test('no Debian source: one line saying what to add, exit 125', () => {
    const r = archives({});
    expect(r.code).toBe(125);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/no Debian main archive in this machine's apt sources.*URINGSCOPE_LAB_ARCHIVE/);
  });

  test('the environment overrides the apt sources', () => {
    const r = archives({}, { URINGSCOPE_LAB_ARCHIVE: 'http://a/debian', URINGSCOPE_LAB_SECURITY: 'http://a/sec' });
    expect(r.out).toBe('archive  http://a/debian\nsecurity http://a/sec\n');
  });
});
