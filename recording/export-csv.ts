// `export --format csv`: one row per recorded request, streamed.
import type { Writable } from 'node:stream';
import type { EventBatch } from '../tracers/layout.js';
import { opName } from '../tracers/summary.js';
import { sqeFlagsText } from './format.js';
import { scanRecording, type Scan } from './scan.js';
import { TextSink } from './sink.js';

export const CSV_COLUMNS = [
  'submit_ns', 'complete_ns', 'latency_ns', 'tgid', 'submit_tid', 'complete_tid', 'ctx', 'user_data', 'op', 'opcode',
  'sqe_flags', 'flags', 'fd', 'off', 'len', 'res', 'cflags', 'more',
];

function rows(b: EventBatch, names: readonly string[], sink: TextSink): void {
  const v = b.view;
  let text = '';
  for (let o = 0; o < b.buffer.byteLength; o += 80) {
    const submit = v.getBigUint64(o, true);
    const complete = v.getBigUint64(o + 8, true);
    const opcode = v.getUint8(o + 76);
    const sqeFlags = v.getUint16(o + 78, true);
    text +=
      `${submit},${complete},${submit ? complete - submit : 0n},${v.getUint32(o + 48, true)},${v.getUint32(o + 52, true)},${v.getUint32(o + 56, true)},` +
      `0x${v.getBigUint64(o + 16, true).toString(16)},${v.getBigUint64(o + 32, true)},${opName(names, opcode)},${opcode},` +
      `${sqeFlags},${sqeFlagsText(sqeFlags)},${v.getInt32(o + 68, true)},${v.getBigUint64(o + 40, true)},${v.getUint32(o + 60, true)},` +
      `${v.getInt32(o + 64, true)},${v.getUint32(o + 72, true)},${v.getUint8(o + 77) === 1 ? 1 : 0}\n`;
  }
  sink.push(text);
}

export async function exportCsv(path: string, out: Writable): Promise<Scan & { rows: number }> {
  const sink = new TextSink(out);
  sink.push(CSV_COLUMNS.join(',') + '\n');
  let names: readonly string[] = [];
  let n = 0;
  const scan = await scanRecording(path, {
    events: async (b) => {
      rows(b, names, sink);
      n += b.count;
      await sink.maybeFlush();
    },
    header: (h) => {
      names = h.opNames;
    },
  });
  await sink.flush();
  return { ...scan, rows: n };
}
