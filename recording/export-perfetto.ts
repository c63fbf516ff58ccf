// `export --format perfetto`: the Chrome trace event JSON that
// ui.perfetto.dev and chrome://tracing open.
//   - one complete ("X") slice per request, submit -> completion, on the
//     track of the thread that submitted it (pid = tgid, tid = submit tid).
//     Requests in flight together overlap, and slices on one track must
//     nest, so a thread's overlapping requests go to extra lanes: lane 0 is
//     the thread's own track, lane k a track named "<comm/tid> +k" (tid
//     LANE_TID_BASE * k + tid, beyond any real tid), grouped in its process.
//   - counters ("C"): requests in flight (from the records, sampled in at most
//     COUNTER_POINTS steps) and context switches per interval (from the
//     interval aggregates), in the process of the first traced thread.
// Two streaming passes over the file (time range, then output): memory is
// the reader's window, the lane ends per thread and one counter array.
import type { Writable } from 'node:stream';
import { opName } from '../tracers/summary.js';
import type { RecordingHeader } from './format.js';
import { scanRecording, type Scan } from './scan.js';
import { TextSink } from './sink.js';

const LANE_TID_BASE = 1 << 22; // pid_max is at most 2^22
const MAX_LANES = 1024;
const COUNTER_POINTS = 20000;
const COUNTER_PID_FALLBACK = 0x7ffffff0;

function us(ns: number): number {
  return Math.round(ns) / 1000;
}

export async function exportPerfetto(path: string, out: Writable): Promise<Scan & { slices: number }> {
  // Pass 1: time range and the first process (for the counter tracks).
  let minNs = Infinity;
  let maxNs = -Infinity;
  let firstTgid = 0;
  await scanRecording(path, {
    events: (b) => {
      const v = b.view;
      for (let o = 0; o < b.buffer.byteLength; o += 80) {
        const s = Number(v.getBigUint64(o, true));
        const e = Number(v.getBigUint64(o + 8, true));
        const start = s || e;
        if (start < minNs) minNs = start;
        if (e > maxNs) maxNs = e;
        if (!firstTgid) firstTgid = v.getUint32(o + 48, true);
      }
    },
    interval: (i) => {
      if (i.ktimeNs > maxNs) maxNs = i.ktimeNs;
    },
    header: (h) => {
      if (h.startKtimeNs < minNs) minNs = h.startKtimeNs;
    },
  });
  const counterPid = firstTgid || COUNTER_PID_FALLBACK;
  const span = Number.isFinite(minNs) && maxNs > minNs ? maxNs - minNs : 1;
  const width = Math.max(1000, Math.ceil(span / COUNTER_POINTS)); // >= 1 µs per counter step
  const inflight = new Float64Array(Math.ceil(span / width) + 2);

  const sink = new TextSink(out);
  let firstEvent = true;
  const emit = (obj: unknown) => {
    sink.push((firstEvent ? '\n' : ',\n') + JSON.stringify(obj));
    firstEvent = false;
  };
  sink.push('{"displayTimeUnit":"ns","otherData":{"source":"uringscope"},"traceEvents":[');

  let header: RecordingHeader | undefined;
  const lanes = new Map<number, number[]>(); // tid -> end ns of the last slice of each lane
  const tgidOf = new Map<number, number>(); // track tid -> tgid
  let slices = 0;
  const scan = await scanRecording(path, {
    header: (h) => {
      header = h;
    },
    events: async (b) => {
      const v = b.view;
      const names = header!.opNames;
      let text = '';
      for (let o = 0; o < b.buffer.byteLength; o += 80) {
        const s = Number(v.getBigUint64(o, true));
        const e = Number(v.getBigUint64(o + 8, true));
        const start = s || e;
        const tgid = v.getUint32(o + 48, true);
        const tid = v.getUint32(o + 52, true) || v.getUint32(o + 56, true);
        let ends = lanes.get(tid);
        if (!ends) lanes.set(tid, (ends = []));
        let lane = 0;
        while (lane < ends.length && ends[lane] > start) lane++;
        if (lane >= MAX_LANES) lane = MAX_LANES - 1;
        ends[lane] = Math.max(ends[lane] ?? 0, e);
        const trackTid = lane * LANE_TID_BASE + tid;
        if (!tgidOf.has(trackTid)) tgidOf.set(trackTid, tgid);
        const res = v.getInt32(o + 64, true);
        const args =
          `{"user_data":"${v.getBigUint64(o + 32, true)}","fd":${v.getInt32(o + 68, true)},"off":${v.getBigUint64(o + 40, true)},` +
          `"len":${v.getUint32(o + 60, true)},"res":${res},"sqe_flags":${v.getUint16(o + 78, true)},"cflags":${v.getUint32(o + 72, true)},` +
          `"complete_tid":${v.getUint32(o + 56, true)}${s ? '' : ',"submit_unseen":true'}}`;
        text +=
          `${firstEvent ? '\n' : ',\n'}{"name":"${opName(names, v.getUint8(o + 76))}","cat":"io_uring${res < 0 ? ',error' : ''}","ph":"X",` +
          `"ts":${us(start)},"dur":${us(e - start)},"pid":${tgid},"tid":${trackTid},"args":${args}}`;
        firstEvent = false;
        if (s) {
          inflight[Math.max(0, Math.floor((s - minNs) / width))]++;
          inflight[Math.min(inflight.length - 1, Math.max(0, Math.floor((e - minNs) / width)))]--;
        }
        slices++;
      }
      sink.push(text);
      await sink.maybeFlush();
    },
    interval: async (i) => {
      const c = i.summary.ctxSwitches;
      emit({ name: 'context switches', ph: 'C', ts: us(i.ktimeNs), pid: counterPid, args: { voluntary: c.voluntary, involuntary: c.involuntary } });
      await sink.maybeFlush();
    },
  });
  // In-flight requests at the end of each step: running sum of +1 per submit, -1 per completion.
  if (slices) {
    let cur = 0;
    let last = -1;
    for (let k = 0; k < inflight.length; k++) {
      cur += inflight[k];
      if (cur !== last) {
        emit({ name: 'requests in flight', ph: 'C', ts: us(minNs + (k + 1) * width), pid: counterPid, args: { requests: cur } });
        last = cur;
      }
      if ((k & 1023) === 0) await sink.maybeFlush();
    }
  }
  // Names: processes, threads and their lanes.
  const comms = new Map<number, string>();
  for (const t of scan.summary.threads ?? []) comms.set(t.tid, t.comm);
  const procs = new Set<number>([counterPid]);
  for (const [trackTid, tgid] of tgidOf) {
    procs.add(tgid);
    const tid = trackTid % LANE_TID_BASE;
    const lane = Math.floor(trackTid / LANE_TID_BASE);
    const base = comms.has(tid) ? `${comms.get(tid)} ${tid}` : `tid ${tid}`;
    emit({ name: 'thread_name', ph: 'M', pid: tgid, tid: trackTid, args: { name: lane ? `${base} +${lane}` : base } });
    emit({ name: 'thread_sort_index', ph: 'M', pid: tgid, tid: trackTid, args: { sort_index: tid * 2048 + lane } });
  }
  for (const pid of procs) {
    emit({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: pid === COUNTER_PID_FALLBACK ? 'uringscope counters' : `pid ${pid}` } });
  }
  sink.push('\n]}\n');
  await sink.flush();
  return { ...scan, slices };
}
