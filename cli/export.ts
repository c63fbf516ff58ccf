// `uringscope export FILE --format perfetto|csv|json [-o OUT [--force]]`: streams a
// recording out as a Chrome/Perfetto trace, one CSV row per request, or the
// NDJSON of the summary. Memory stays bounded (recording/sink.ts).
import type { Writable } from 'node:stream';
import type { Argv } from 'yargs';
import { UserError } from '../core/user-error.js';
import { exportCsv } from '../recording/export-csv.js';
import { exportJson } from '../recording/export-json.js';
import { exportPerfetto } from '../recording/export-perfetto.js';
import { EXIT_INCOMPLETE, EXIT_OK } from '../core/exit-codes.js';
import { AtomicOutput } from '../recording/output-file.js';
import type { Scan } from '../recording/scan.js';

export interface ExportArgs {
  file: string;
  format: 'perfetto' | 'csv' | 'json';
  output?: string;
  force: boolean;
}

export function exportBuilder(y: Argv): Argv<ExportArgs> {
  return y
    .usage('$0 export FILE --format perfetto|csv|json [-o OUT [--force]]\n\nWrite a recording out: perfetto (Chrome trace event JSON for ui.perfetto.dev / chrome://tracing), csv (one row per request), json (NDJSON intervals + summary).')
    .positional('file', { type: 'string', describe: 'a recording', demandOption: true })
    .option('format', { alias: 'f', choices: ['perfetto', 'csv', 'json'] as const, demandOption: true, describe: 'output format' })
    .option('output', { alias: 'o', type: 'string', describe: 'output file (default: stdout); written in full to a temp file, then renamed into place' })
    .option('force', { type: 'boolean', default: false, describe: 'replace an existing -o file (never the recording itself)' })
    .example('$0 export run.usrec --format perfetto -o run.json', 'open run.json in ui.perfetto.dev') as unknown as Argv<ExportArgs>;
}

interface Out {
  out: Writable;
  /** Puts the complete output in place. */
  commit(): Promise<void>;
  /** Drops the output after `e`, leaving what was there before; returns the error to report. */
  abort(e: unknown): unknown;
}

/** stdout, or a file written through a temp file and renamed into place once complete. */
function openOut(a: ExportArgs): Out {
  if (!a.output || a.output === '-') return { out: process.stdout, commit: async () => undefined, abort: (e) => e };
  const o = AtomicOutput.open(a.output, { force: a.force, inputs: [a.file] });
  return { out: o.stream, commit: () => o.commit(), abort: (e) => o.abort(e) };
}

export async function runExport(a: ExportArgs): Promise<number> {
  const { out, commit, abort } = openOut(a);
  let scan: Scan;
  try {
    if (a.format === 'csv') scan = await exportCsv(a.file, out);
    else if (a.format === 'perfetto') scan = await exportPerfetto(a.file, out);
    else scan = await exportJson(a.file, out);
  } catch (e) {
    throw abort(e); // a refused input, a failed write (one line naming the output), or a bug
  }
  await commit();
  if (a.format !== 'json' && !scan.header.events) {
    process.stderr.write(`uringscope: ${a.file} holds no request records (record with --events): only ${a.format === 'csv' ? 'the CSV header' : 'the counters'} written\n`);
  }
  if (scan.damage || !scan.end) {
    const d = scan.damage;
    const what = d ? `${d.message}; ${d.lostBytes} bytes after it lost` : `no end chunk after byte ${scan.goodBytes}: the recording was interrupted`;
    process.stderr.write(`uringscope: ${a.file}: incomplete recording, ${what}; exported ${scan.chunks} chunks (${scan.events} events) up to there\n`);
    return EXIT_INCOMPLETE;
  }
  return EXIT_OK;
}
