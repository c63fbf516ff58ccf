// `uringscope doctor [--fix]`: renders the system checks; exit 0 when every
// strategy can run. --fix removes what killed runs left behind.
import type { Argv } from 'yargs';
import { EXIT_FAILURE, EXIT_OK } from '../core/exit-codes.js';
import { runDoctor, type DoctorReport } from '../tracers/doctor.js';
import { leftoversCheck } from '../workloads/doctor-leftovers.js';
import { writeLine } from './output.js';
import { paint } from './style.js';

const MARK = { ok: 'ok', warn: 'warn', missing: 'MISSING' } as const;
const COLOR = { ok: 'green', warn: 'yellow', missing: 'red' } as const;

export function renderDoctor(r: DoctorReport): string {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const lines = r.checks.map((c) => {
    const mark = paint(COLOR[c.status], MARK[c.status].padEnd(7));
    const fix = c.status !== 'ok' && c.fix ? `\n  ${' '.repeat(width + 8)}fix: ${c.fix}` : '';
    return `  ${c.name.padEnd(width)}  ${mark} ${c.detail}${fix}`;
  });
  lines.push('');
  for (const [name, s] of Object.entries(r.strategies)) {
    lines.push(`  strategy ${name.padEnd(5)} ${s.ok ? paint('green', s.path ? `can run (${s.path === 'map-backed-sqpoll' ? 'map-backed SQPOLL path' : s.path})` : 'can run') : paint('red', `cannot run (${s.reason})`)}`);
  }
  return lines.join('\n');
}

export interface DoctorArgs {
  json: boolean;
  fix: boolean;
}

export function doctorBuilder(y: Argv): Argv {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object' })
    .option('fix', { type: 'boolean', default: false, describe: 'also remove what killed runs left behind (stale run directories)' });
}

export async function runDoctorCommand(a: DoctorArgs): Promise<number> {
  const system = await runDoctor();
  // Last in the list, and never 'missing': what killed runs left behind stops no strategy.
  const r: DoctorReport = { ...system, checks: [...system.checks, leftoversCheck(a.fix)] };
  if (a.json) writeLine(r);
  else process.stdout.write(renderDoctor(r) + '\n');
  return r.ok ? EXIT_OK : EXIT_FAILURE;
}
