// Outputs never destroy inputs (docs/recording.md): `record -o`, `replay -o`
// and `export -o` refuse an output that is one of their inputs (same inode:
// the same path, a hard link, a symlink; even with --force) and, without
// --force, any existing file; export writes through a temp file renamed
// into place, so a refused input or a failed write (a full disk: a 64 KiB
// tmpfs) leaves the old file byte-identical and no temp file behind. Also
// the hostile-input rows about reading: /dev/zero, a newer format version,
// a bad --format. Every refusal is one line with an exit code.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkType, CHUNK_OVERHEAD, FILE_HEADER_SIZE, jsonChunk } from '../recording/format.js';
import { LOAD, mountTmpfs, runCli, scratchDir, type CliResult } from './support.js';
import { sha256 } from './replay-support.js';

const dir = scratchDir();
const pristine = join(dir, 'pristine.usrec');
let full = ''; // a 64 KiB tmpfs: the exports of the recording do not fit

beforeAll(async () => {
  // 300 chains with every request: ~120 KB, its csv ~160 KB and perfetto more.
  const r = await runCli(['record', '-o', pristine, '--events', 'short-read', '--chains', '300']);
  expect(r.code).toBe(0);
  full = mountTmpfs(join(dir, 'full'), '64k');
});

/** One line on stderr, no stack, and the exit code; returns the line. */
function oneLine(r: CliResult, code: number): string {
  const lines = r.stderr.trim().split('\n');
  expect({ code: r.code, lines }).toEqual({ code, lines: [expect.any(String)] });
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return lines[0];
}

function tempFiles(d: string): string[] {
  return readdirSync(d).filter((f) => f.endsWith('.tmp'));
}

/**
 * A copy of the recording for one test: a test that fails (on a build
 * without the checks, the output destroys its input) spoils only its own.
 */
function recording(name: string): { rec: string; recHash: string } {
  const rec = join(dir, name);
  copyFileSync(pristine, rec);
  return { rec, recHash: sha256(rec) };
}

function existing(name: string, content = `precious ${name}\n`): { path: string; hash: string } {
  const path = join(dir, name);
  writeFileSync(path, content);
  return { path, hash: sha256(path) };
}

describe('an output that is an input is refused, even with --force', () => {
  test('export r.usrec --format perfetto -o r.usrec: refused, the recording byte-identical', async () => {
    const { rec, recHash } = recording('r1.usrec');
    for (const force of [[], ['--force']]) {
      const r = await runCli(['export', rec, '--format', 'perfetto', '-o', rec, ...force]);
      expect(oneLine(r, 2)).toMatch(/r\d\.usrec is also the input: an output never replaces its input, not even with --force$/);
      expect(sha256(rec)).toBe(recHash);
    }
    expect(tempFiles(dir)).toEqual([]);
  });

  test('replay rr.usrec -o rr.usrec: refused before anything runs, the recording byte-identical', async () => {
    const { rec, recHash } = recording('r2.usrec');
    for (const force of [[], ['--force']]) {
      const r = await runCli(['replay', rec, '-o', rec, '--speed', '0', ...force]);
      expect(oneLine(r, 2)).toMatch(/r\d\.usrec is also the input: .*not even with --force$/);
      expect(r.stdout).toBe('');
      expect(sha256(rec)).toBe(recHash);
    }
  });

  test('a hard link or a symlink to the input is the input', async () => {
    const { rec, recHash } = recording('r3.usrec');
    const hard = join(dir, 'hard.usrec');
    const soft = join(dir, 'soft.usrec');
    linkSync(rec, hard);
    symlinkSync(rec, soft);
    for (const out of [hard, soft]) {
      for (const force of [[], ['--force']]) {
        let r = await runCli(['export', rec, '--format', 'csv', '-o', out, ...force]);
        expect(oneLine(r, 2)).toBe(`uringscope: ${out} is the input ${rec} (the same file): an output never replaces its input, not even with --force`);
        expect(sha256(rec)).toBe(recHash);
        r = await runCli(['replay', rec, '-o', out, '--speed', '0', ...force]);
        expect(oneLine(r, 2)).toMatch(/is the input .*r3\.usrec \(the same file\)/);
        expect(sha256(rec)).toBe(recHash);
      }
    }
    expect(tempFiles(dir)).toEqual([]);
  });

  test('record -o onto the command it runs (through a symlink) is refused, with --force too', async () => {
    const load = join(dir, 'uring_load'); // a copy: a build without the checks would overwrite it
    copyFileSync(LOAD, load);
    chmodSync(load, 0o755);
    const before = sha256(load);
    const link = join(dir, 'load-link');
    symlinkSync(load, link);
    for (const force of [[], ['--force']]) {
      const r = await runCli(['record', '-o', link, ...force, '--', load, 'chains', '1']);
      expect(oneLine(r, 2)).toBe(`uringscope: ${link} is the input ${load} (the same file): an output never replaces its input, not even with --force`);
      expect(sha256(load)).toBe(before);
    }
  });
});

describe('an existing file is replaced only with --force', () => {
  test('record -o FILE onto an existing file: refused, byte-identical; with --force: a recording', async () => {
    const f = existing('old-record.usrec');
    let r = await runCli(['record', '-o', f.path, 'short-read', '--chains', '10']);
    expect(oneLine(r, 2)).toBe(`uringscope: ${f.path} already exists: --force replaces it`);
    expect(sha256(f.path)).toBe(f.hash);
    r = await runCli(['record', '-o', f.path, '--force', 'short-read', '--chains', '10']);
    expect(r.code).toBe(0);
    const rep = await runCli(['report', f.path, '--json']);
    expect(rep.code).toBe(0);
    expect(tempFiles(dir)).toEqual([]);
  });

  test('record --force replaces the name, not the inode: another hard link to the old file keeps its content', async () => {
    const f = existing('linked-record.usrec');
    const other = join(dir, 'linked-record-other');
    linkSync(f.path, other);
    const r = await runCli(['record', '-o', f.path, '--force', 'short-read', '--chains', '10']);
    expect(r.code).toBe(0);
    expect(sha256(other)).toBe(f.hash);
    expect(readFileSync(f.path).subarray(0, 5).toString()).toBe('USREC');
  });

  test('replay -o FILE onto an existing file: refused, byte-identical; with --force: the replay\'s recording', async () => {
    const { rec } = recording('r7.usrec');
    const f = existing('old-replay.usrec');
    let r = await runCli(['replay', rec, '-o', f.path, '--speed', '0']);
    expect(oneLine(r, 2)).toBe(`uringscope: ${f.path} already exists: --force replaces it`);
    expect(r.stdout).toBe('');
    expect(sha256(f.path)).toBe(f.hash);
    r = await runCli(['replay', rec, '-o', f.path, '--speed', '0', '--force', '--json']);
    expect(r.code).toBe(0);
    const rep = await runCli(['report', f.path, '--json']);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toMatch(/"mode":"replay"/);
  });

  test('export -o FILE onto an existing file: refused, byte-identical; with --force: the export, same permissions', async () => {
    const { rec } = recording('r8.usrec');
    const f = existing('old.csv');
    execFileSync('chmod', ['640', f.path]);
    let r = await runCli(['export', rec, '--format', 'csv', '-o', f.path]);
    expect(oneLine(r, 2)).toBe(`uringscope: ${f.path} already exists: --force replaces it`);
    expect(sha256(f.path)).toBe(f.hash);
    r = await runCli(['export', rec, '--format', 'csv', '-o', f.path, '--force']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = readFileSync(f.path, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^submit_ns,complete_ns,/);
    expect(lines.length).toBeGreaterThan(300);
    expect(execFileSync('stat', ['-c', '%a', f.path], { encoding: 'utf8' }).trim()).toBe('640');
    expect(tempFiles(dir)).toEqual([]);
  });

  test('export /dev/null --format csv -o keep.csv: keep.csv byte-identical, with or without --force', async () => {
    const keep = existing('keep.csv');
    let r = await runCli(['export', '/dev/null', '--format', 'csv', '-o', keep.path]);
    expect(oneLine(r, 2)).toMatch(/keep\.csv already exists: --force replaces it$/);
    expect(sha256(keep.path)).toBe(keep.hash);
    r = await runCli(['export', '/dev/null', '--format', 'csv', '-o', keep.path, '--force']);
    expect(oneLine(r, 65)).toBe('uringscope: /dev/null is a character device, not a uringscope recording');
    expect(sha256(keep.path)).toBe(keep.hash);
    expect(tempFiles(dir)).toEqual([]);
  });

  test('a character device is written through without --force (nothing is replaced)', async () => {
    const { rec } = recording('r10.usrec');
    const r = await runCli(['export', rec, '--format', 'csv', '-o', '/dev/null']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('failed writes: one line naming the file, no partial output, no temp file', () => {
  test('export -o /proc/version: refused as existing; with --force, cannot be created (73), not an internal error', async () => {
    const { rec } = recording('r11.usrec');
    const before = readFileSync('/proc/version', 'utf8');
    let r = await runCli(['export', rec, '--format', 'perfetto', '-o', '/proc/version']);
    expect(oneLine(r, 2)).toBe('uringscope: /proc/version already exists: --force replaces it');
    r = await runCli(['export', rec, '--format', 'perfetto', '-o', '/proc/version', '--force']);
    expect(oneLine(r, 73)).toMatch(/^uringscope: cannot replace \/proc\/version: no new file can be created in \/proc \(E[A-Z]+\)$/);
    expect(readFileSync('/proc/version', 'utf8')).toBe(before);
  });

  test.each(['csv', 'perfetto'])('export --format %s onto a full disk (ENOSPC): exit 74, no file, no temp file', async (format) => {
    const { rec } = recording('r12.usrec');
    const out = join(full, `out.${format}`);
    const r = await runCli(['export', rec, '--format', format, '-o', out]);
    expect(oneLine(r, 74)).toBe(`uringscope: writing ${out} failed: ENOSPC; the partial output was removed`);
    expect(readdirSync(full)).toEqual([]);
  });

  test('export --force onto a full disk: the file it was to replace is byte-identical, no temp file', async () => {
    const { rec } = recording('r13.usrec');
    const keep = join(full, 'keep.csv');
    writeFileSync(keep, 'keep me\n');
    const hash = sha256(keep);
    const r = await runCli(['export', rec, '--format', 'csv', '-o', keep, '--force']);
    expect(oneLine(r, 74)).toBe(`uringscope: writing ${keep} failed: ENOSPC; ${keep} is unchanged`);
    expect(sha256(keep)).toBe(hash);
    expect(readdirSync(full)).toEqual(['keep.csv']);
  });
});

describe('hostile inputs are refused in one line', () => {
  test('export --format xml: one line, exit 2', async () => {
    const { rec } = recording('r14.usrec');
    const r = await runCli(['export', rec, '--format', 'xml']);
    expect(oneLine(r, 2)).toMatch(/Invalid values: Argument: format, Given: "xml", Choices: "perfetto", "csv", "json" \(see `uringscope export --help`\)$/);
  });

  test('report /dev/zero: not a regular file, exit 65', async () => {
    const r = await runCli(['report', '/dev/zero']);
    expect(oneLine(r, 65)).toBe('uringscope: /dev/zero is a character device, not a uringscope recording');
  });

  // open(2) of a FIFO with no writer waits for one (fifo(7)): refused before any open.
  test('report, export, replay, view of a FIFO no one writes: refused as a FIFO, exit 65', async () => {
    const fifo = join(dir, 'f.usrec');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['report', fifo], ['export', fifo, '--format', 'csv'], ['replay', fifo], ['view', fifo]]) {
      const r = await runCli(args);
      expect([args, oneLine(r, 65)]).toEqual([args, `uringscope: ${fifo} is a FIFO, not a uringscope recording`]);
    }
  });

  test('report -: reading a recording from standard input is not supported, saying what was given, exit 2', async () => {
    for (const args of [['report', '-'], ['export', '-', '--format', 'json']]) {
      const r = await runCli(args);
      expect([args, oneLine(r, 2)]).toEqual([args, 'uringscope: reading a recording from standard input ("-") is not supported: give the recording\'s file name']);
    }
  });

  test('a header chunk with formatVersion 99 and a valid CRC: refused as a newer format, exit 65', async () => {
    const { rec } = recording('r16.usrec');
    const bytes = readFileSync(rec);
    const len = bytes.readUInt32LE(FILE_HEADER_SIZE + 4);
    const header = JSON.parse(bytes.subarray(FILE_HEADER_SIZE + 8, FILE_HEADER_SIZE + 8 + len).toString('utf8'));
    const newer = join(dir, 'v99.usrec');
    writeFileSync(newer, Buffer.concat([
      bytes.subarray(0, FILE_HEADER_SIZE),
      jsonChunk(ChunkType.HEADER, { ...header, formatVersion: 99 }), // a valid CRC over the new payload
      bytes.subarray(FILE_HEADER_SIZE + CHUNK_OVERHEAD + len),
    ]));
    for (const args of [['report', newer], ['export', newer, '--format', 'json'], ['replay', newer]]) {
      const r = await runCli(args);
      expect(oneLine(r, 65)).toBe(`uringscope: ${newer}: byte 8: the header says recording format version 99, newer than this uringscope reads (version 1): upgrade uringscope`);
      expect(r.stdout).toBe('');
    }
  });
});
