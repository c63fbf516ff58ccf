// `uringscope export FILE --format perfetto|csv|json [-o OUT]`: streams a
// recording out as a Chrome/Perfetto trace, one CSV row per request, or the
// NDJSON of the summary. Memory stays bounded (recording/sink.ts).
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Argv } from 'yargs';
import { UserError } from '../tracers/errors.js';
import { exportCsv } from '../recording/export-csv.js';
import { exportJson } from '../recording/export-json.js';
import { exportPerfetto } from '../recording/export-perfetto.js';
import { EXIT_INCOMPLETE } from '../recording/reader.js';
import type { Scan } from '../recording/scan.js';

export interface ExportArgs {
  file: string;
  format: 'perfetto' | 'csv' | 'json';
  output?: string;
}

export function exportBuilder(y: Argv): Argv<ExportArgs> {
  return y
    .usage('$0 export FILE --format perfetto|csv|json [-o OUT]\n\nWrite a recording out: perfetto (Chrome trace event JSON for ui.perfetto.dev / chrome://tracing), csv (one row per request), json (NDJSON intervals + summary).')
    .positional('file', { type: 'string', describe: 'a recording', demandOption: true })
    .option('format', { alias: 'f', choices: ['perfetto', 'csv', 'json'] as const, demandOption: true, describe: 'output format' })
    .option('output', { alias: 'o', type: 'string', describe: 'output file (default: stdout)' })
    .example('$0 export run.usrec --format perfetto -o run.json', 'open run.json in ui.perfetto.dev') as unknown as Argv<ExportArgs>;
}

async function openOut(path: string | undefined): Promise<{ out: Writable; done: () => Promise<void> }> {
  if (!path || path === '-') return { out: process.stdout, done: async () => undefined };
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', (e: NodeJS.ErrnoException) => reject(new UserError(`cannot write ${path}: ${e.code ?? e.message}`)));
  });
  let error: NodeJS.ErrnoException | undefined;
  out.on('error', (e) => (error ??= e));
  return {
    out,
    done: async () => {
      await new Promise<void>((resolve) => out.end(() => resolve()));
      if (error) throw new UserError(`writing ${path} failed: ${error.code ?? error.message}`);
    },
  };
}

export async function runExport(a: ExportArgs): Promise<number> {
  const { out, done } = await openOut(a.output);
  let scan: Scan;
  if (a.format === 'csv') scan = await exportCsv(a.file, out);
  else if (a.format === 'perfetto') scan = await exportPerfetto(a.file, out);
  else scan = await exportJson(a.file, out);
  await done();
  if (a.format !== 'json' && !scan.header.events) {
    process.stderr.write(`uringscope: ${a.file} holds no request records (record with --events): only ${a.format === 'csv' ? 'the CSV header' : 'the counters'} written\n`);
  }
  if (scan.damage || !scan.end) {
    const d = scan.damage;
    const what = d ? `${d.message}; ${d.lostBytes} bytes after it lost` : `no end chunk after byte ${scan.goodBytes}: the recording was interrupted`;
    process.stderr.write(`uringscope: ${a.file}: incomplete recording, ${what}; exported ${scan.chunks} chunks (${scan.events} events) up to there\n`);
    return EXIT_INCOMPLETE;
  }
  return 0;
}
