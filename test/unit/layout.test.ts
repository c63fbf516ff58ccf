// Event records: decoded with the layout of struct us_event (bpf/tracer.h).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_SIZE, EventBatch } from '../../tracers/layout.js';
import { native } from '../../tracers/native.js';
import { ROOT } from '../support.js';

describe('event record layout', () => {
  test('the TS record size is the C one', () => {
    expect(native().eventSize).toBe(EVENT_SIZE);
    const h = readFileSync(join(ROOT, 'bpf', 'tracer.h'), 'utf8');
    expect(h).toContain(`#define US_EVENT_SIZE ${EVENT_SIZE}`);
  });

  test('fields decode from their offsets', () => {
    const buf = new ArrayBuffer(EVENT_SIZE * 2);
    const v = new DataView(buf, EVENT_SIZE);
    v.setBigUint64(0, 1000n, true);
    v.setBigUint64(8, 1750n, true);
    v.setBigUint64(16, 0xffff888812345678n, true);
    v.setBigUint64(32, 0xfedcba9876543210n, true);
    v.setBigUint64(40, 8192n, true);
    v.setUint32(48, 42, true);
    v.setUint32(52, 43, true);
    v.setUint32(56, 44, true);
    v.setUint32(60, 4096, true);
    v.setInt32(64, -125, true);
    v.setInt32(68, 7, true);
    v.setUint32(72, 2, true);
    v.setUint8(76, 22);
    v.setUint8(77, 1);
    v.setUint16(78, 4, true);
    const b = new EventBatch(buf);
    expect(b.count).toBe(2);
    const e = b.at(1);
    expect(e).toMatchObject({
      submitNs: 1000, completeNs: 1750, latencyNs: 750, ctx: 0xffff888812345678n,
      userData: 0xfedcba9876543210n, off: 8192n, tgid: 42, submitTid: 43, completeTid: 44,
      len: 4096, res: -125, fd: 7, cflags: 2, opcode: 22, type: 1, sqeFlags: 4,
    });
    expect(b.res(1)).toBe(-125);
    expect(b.opcode(1)).toBe(22);
  });

  test('a batch that is not whole records is refused', () => {
    expect(() => new EventBatch(new ArrayBuffer(EVENT_SIZE + 1))).toThrow(/whole number/);
  });
});
