// `uringscope workloads`: lists the built-in and local workloads, or checks
// one file (--validate). Errors are thrown as UserError(…, 2) for main's
// one-line handler.
import Table from 'cli-table3';
import type { Argv } from 'yargs';
import { EXIT_OK } from '../core/exit-codes.js';
import { listWorkloads, type CatalogEntry } from '../workloads/catalog.js';
import { loadWorkloadFile } from '../workloads/load.js';
import { writeLine } from './output.js';
import { paint } from './style.js';
import { PLAIN } from './summary-table.js';

export interface WorkloadsArgs {
  json: boolean;
  validate?: string;
}

export function workloadsBuilder(y: Argv): Argv<WorkloadsArgs> {
  return y
    .usage('$0 workloads [--json] [--validate FILE]\n\nList the built-in workloads and those in ./workloads, or check a workload file.')
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object' })
    .option('validate', { type: 'string', describe: 'check this workload file: "ok: NAME (N steps)", or what is wrong (exit 2)' })
    .example('$0 workloads', 'what `uringscope run NAME` can run')
    .example('$0 workloads --validate my.json', 'check a workload file') as unknown as Argv<WorkloadsArgs>;
}

export function renderWorkloads(list: CatalogEntry[]): string {
  const t = new Table({ ...PLAIN, head: ['name', 'source', 'description'] });
  for (const w of list) t.push([w.name, w.source, w.error ? paint('red', `unusable: ${w.error}`) : w.description]);
  return t.toString().replace(/^/gm, '  ').replace(/ +$/gm, '');
}

export async function runWorkloadsCommand(a: WorkloadsArgs): Promise<number> {
  if (a.validate !== undefined) {
    const spec = loadWorkloadFile(a.validate);
    if (a.json) writeLine({ type: 'validation', ok: true, name: spec.name, steps: spec.steps.length });
    else process.stdout.write(`ok: ${spec.name} (${spec.steps.length} step${spec.steps.length === 1 ? '' : 's'})\n`);
    return EXIT_OK;
  }
  const workloads = listWorkloads();
  if (a.json) writeLine({ type: 'workloads', workloads });
  else process.stdout.write(renderWorkloads(workloads) + '\n');
  return EXIT_OK;
}
