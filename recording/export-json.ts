// `export --format json`: the NDJSON a live `--json` run prints — one
// "interval" line per recorded interval, then the "summary" line.
import type { Writable } from 'node:stream';
import { scanRecording, type Scan } from './scan.js';
import { TextSink } from './sink.js';

export async function exportJson(path: string, out: Writable): Promise<Scan> {
  const sink = new TextSink(out);
  const scan = await scanRecording(path, {
    interval: async (i) => {
      sink.push(JSON.stringify(i.summary) + '\n');
      await sink.maybeFlush();
    },
  });
  sink.push(JSON.stringify(scan.summary) + '\n');
  await sink.flush();
  return scan;
}
