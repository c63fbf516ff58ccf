// The TS copy of the C ABI (core/abi.ts) against the numbers the C compiler
// produced (native/abi.cc, exported by the addon as `abi`). Loading the addon
// needs no root and no BPF: it only reads constants.
import { ABI } from '../../core/abi.js';
import { native } from '../../tracers/native.js';
import type { NativeAbiRecord } from '../../native/index.js';

describe('TS↔C ABI', () => {
  test('core/abi.ts is what the C compiler produced', () => {
    expect(ABI).toEqual(native().abi);
  });

  test("the addon's older scalar exports agree", () => {
    const n = native();
    expect(n.eventSize).toBe(ABI.event.size);
    expect(n.histBuckets).toBe(ABI.histBuckets);
    expect(n.histSubBits).toBe(ABI.histSubBits);
  });

  test('record fields are naturally aligned and inside the record', () => {
    const width = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 } as const;
    for (const rec of [ABI.event, ABI.replayReq] as NativeAbiRecord[]) {
      for (const [off, kind] of Object.values(rec.fields)) {
        expect(off % width[kind]).toBe(0);
        expect(off + width[kind]).toBeLessThanOrEqual(rec.size);
      }
    }
  });
});
