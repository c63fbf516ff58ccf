// How a value is written into the engine's plan (native/engine/plan.h):
// every string percent-encoded, so no value can hold a space, a newline or
// an `=`. A path with a newline in it, from a workload file, --scratch or
// TMPDIR, stays one value instead of ending its line and starting a forged
// one (a `target ... kind=file` line makes the engine create, then remove,
// any file it names). Numbers go as decimal text; the engine refuses any
// other text for them.

/** The bytes that stand for themselves; the engine's safeByte() in native/engine/plan.cc is the same set. */
const SAFE = /^[A-Za-z0-9\-._~/,]$/;

/** `s` as a plan value: its UTF-8 bytes (as Node's fs turns a path into bytes), %XX for every byte outside SAFE. */
export function planValue(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && SAFE.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export type PlanField = string | number | bigint | undefined;

/** One plan line, `kind key=value ...` in the order given: strings encoded, numbers in decimal, undefined left out. */
export function planLine(kind: string, fields: Record<string, PlanField>): string {
  const words = [kind];
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) words.push(`${k}=${typeof v === 'string' ? planValue(v) : String(v)}`);
  }
  return words.join(' ');
}
