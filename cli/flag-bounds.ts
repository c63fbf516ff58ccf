// The bounds of the numeric flags that `trace`, `run`, `record`, `replay`
// and the TUI share, in one place: each check throws a one-line UserError
// (exit 2) naming the flag and what it takes. yargs parses "1e308", "-1" and
// "0x10" as numbers, so every flag is checked for what the code behind it
// can really hold, not only for its sign.
import { UserError } from '../tracers/errors.js';

/**
 * Interval reports: each one reads every per-CPU map of the tracer, so below
 * 50 ms the reports cost more than they show; Node's timers hold at most
 * 2^31-1 ms (a longer delay silently fires after 1 ms).
 */
export const INTERVAL_MS = { min: 50, max: 3_600_000 } as const;
/** --duration: a Node timer (2^31-1 ms, ~24.8 days) ends the run; a longer one would fire at once. */
export const MAX_DURATION_S = 2_000_000;
/** --chains: the engine counts chains in a u64, but a run of more than 2^32 chains is a typo. */
export const MAX_CHAINS = 2 ** 32;
/** --ring-mb: a BPF ring buffer is a power of two; the addon passes its size as a u32 (4096 MiB wraps to 0: most events lost), so 1 GiB is the top. */
export const RING_MB = { min: 1, max: 1024 } as const;
/** --inflight-entries: the tracer's direct-mapped table of requests being timed; native/tracer_session.cc rounds it up to a power of two within these bounds. */
export const INFLIGHT_ENTRIES = { min: 1024, max: 2 ** 24 } as const;
/** --step-budget: 0 would mean "unlimited" to the engine, which is what the guard exists to prevent. */
export const MAX_STEP_BUDGET = Number.MAX_SAFE_INTEGER;

function bad(message: string): never {
  throw new UserError(message, 2);
}

const isInt = (v: number) => Number.isSafeInteger(v);

export function checkInterval(v: number | undefined): void {
  if (v === undefined) return;
  if (!(Number.isFinite(v) && v >= INTERVAL_MS.min && v <= INTERVAL_MS.max)) {
    bad(`--interval must be a number of milliseconds from ${INTERVAL_MS.min} to ${INTERVAL_MS.max} (got ${v})`);
  }
}

/** `zero`: whether 0 is allowed (trace: "stop at once"; run: no). */
export function checkDuration(v: number | undefined, zero: boolean): void {
  if (v === undefined) return;
  const lowOk = zero ? v >= 0 : v > 0;
  if (!(Number.isFinite(v) && lowOk && v <= MAX_DURATION_S)) {
    bad(`--duration must be a number of seconds ${zero ? 'from 0' : 'above 0'} to ${MAX_DURATION_S} (got ${v})`);
  }
}

export function checkChains(v: number | undefined): void {
  if (v === undefined) return;
  if (!(isInt(v) && v >= 1 && v <= MAX_CHAINS)) bad(`--chains must be an integer from 1 to ${MAX_CHAINS} (got ${v})`);
}

export function checkRingMb(v: number | undefined): void {
  if (v === undefined) return;
  const pow2 = isInt(v) && v > 0 && (v & (v - 1)) === 0;
  if (!(pow2 && v >= RING_MB.min && v <= RING_MB.max)) {
    bad(`--ring-mb must be a power of two from ${RING_MB.min} to ${RING_MB.max} (got ${v})`);
  }
}

export function checkInflightEntries(v: number | undefined): void {
  if (v === undefined) return;
  if (!(isInt(v) && v >= INFLIGHT_ENTRIES.min && v <= INFLIGHT_ENTRIES.max)) {
    bad(`--inflight-entries must be an integer from ${INFLIGHT_ENTRIES.min} to ${INFLIGHT_ENTRIES.max} (got ${v})`);
  }
}

export function checkStepBudget(v: number | undefined): void {
  if (v === undefined) return;
  if (!(isInt(v) && v >= 1 && v <= MAX_STEP_BUDGET)) bad(`--step-budget must be a positive integer number of steps (got ${v})`);
}
