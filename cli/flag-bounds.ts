// The bounds of the numeric flags of every command (`trace`, `run`,
// `record`, `replay`, `serve`, `top`, `view` and the TUI), of --comm, and of
// the paths --scratch and --policy, in one place: each check throws a
// one-line UserError (exit 2) naming the flag, what it takes and what was
// given. yargs parses "1e308", "-1", "0x10" and "Infinity" as numbers (and
// "abc" as NaN, a repeated flag as an array), so every flag is checked for
// what the code behind it can really hold, not only for its sign. Node's
// timers hold at most 2^31-1 ms: a longer delay fires after 1 ms instead (a
// TimeoutOverflowWarning, documented for setTimeout), so no flag that
// becomes a timer may reach that.
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { COMM_MAX } from '../tracers/targets.js';
import { MAX_TARGETS_LIMIT } from '../tracers/served-targets.js';
import { SPEEDS } from '../tui/player.js';
import { MAX_CONCURRENCY } from '../workloads/schema.js';
import { controlCharProblem } from '../workloads/control-chars.js';

/**
 * Interval reports: each one reads every per-CPU map of the tracer, so below
 * 50 ms the reports cost more than they show; Node's timers hold at most
 * 2^31-1 ms (a longer delay silently fires after 1 ms).
 */
export const INTERVAL_MS = { min: 50, max: 3_600_000 } as const;
/**
 * serve --interval, between OTLP pushes: each push reads a snapshot and
 * POSTs every family, with an exporter timeout of at least 1 s, so pushes
 * closer than 100 ms would pile up; the top is the timer bound above.
 */
export const OTLP_INTERVAL_MS = { min: 100, max: INTERVAL_MS.max } as const;
/**
 * --fps of the TUI and `top`: the screen and the tracer snapshots every
 * 1000/fps ms. Each refresh redraws the screen and reads every per-CPU map
 * (docs/benchmarks.md measures 13.5% of a core at 10 fps), so 30 is the top; below
 * 0.1 (one refresh in 10 s, the default run's whole length) the live panels
 * are no longer live. 1000/0.1 ms stays far below a timer's 2^31-1 ms.
 */
export const FPS = { min: 0.1, max: 30 } as const;
/**
 * replay --speed (0 = every chain at once): the recorded chain start times are
 * divided by it into u64 nanoseconds. 1e-3 already stretches one recorded
 * second over 17 minutes; a smaller factor only makes a replay that outlasts
 * anyone waiting for it (and 1e-300 makes them Infinity, which no u64
 * holds). Above 1e6 an hour of recorded starts falls within 3.6 ms: use 0.
 */
export const SPEED = { min: 1e-3, max: 1e6 } as const;
/**
 * --pid: pids are below pid_max, which is at most PID_MAX_LIMIT = 2^22 on
 * 64-bit (include/linux/threads.h); a larger "pid" would wrap in the tracer's u32.
 */
export const MAX_PID = 2 ** 22 - 1;
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
  throw new UserError(message, EXIT_USAGE);
}

const isInt = (v: number) => Number.isSafeInteger(v);

/** `bounds`: INTERVAL_MS for interval reports, OTLP_INTERVAL_MS for serve's pushes. */
export function checkInterval(v: number | undefined, bounds: { min: number; max: number } = INTERVAL_MS): void {
  if (v === undefined) return;
  if (!(Number.isFinite(v) && v >= bounds.min && v <= bounds.max)) {
    bad(`--interval must be a number of milliseconds from ${bounds.min} to ${bounds.max} (got ${v})`);
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

export function checkFps(v: number | undefined): void {
  if (v === undefined) return;
  if (!(Number.isFinite(v) && v >= FPS.min && v <= FPS.max)) bad(`--fps must be a number of refreshes per second from ${FPS.min} to ${FPS.max} (got ${v})`);
}

export function checkReplaySpeed(v: number | undefined): void {
  if (v === undefined) return;
  if (!(Number.isFinite(v) && (v === 0 || (v >= SPEED.min && v <= SPEED.max)))) {
    bad(`--speed must be 0 (every chain at once) or a factor from ${SPEED.min} to ${SPEED.max} (got ${v})`);
  }
}

/** view --speed: the player's steps, which +/- move between. */
export function checkViewSpeed(v: number | undefined): void {
  if (v === undefined) return;
  if (!SPEEDS.includes(v)) bad(`--speed must be one of ${SPEEDS.join(', ')} (got ${v})`);
}

export function checkConcurrency(v: number | undefined): void {
  if (v === undefined) return;
  if (!(isInt(v) && v >= 1 && v <= MAX_CONCURRENCY)) bad(`--concurrency must be an integer from 1 to ${MAX_CONCURRENCY} (got ${v})`);
}

/** --rings of strategy bpf: the BPF runtime keeps per-ring state in arrays of US_MAX_RINGS = 4 (bpf/policy.h). */
export function checkRings(v: number | undefined): void {
  if (v === undefined) return;
  if (!(isInt(v) && v >= 1 && v <= 4)) bad(`--rings must be an integer from 1 to 4 (got ${v})`);
}

export function checkPids(v: number[] | undefined): void {
  const wrong = v?.find((p) => !(isInt(p) && p >= 1 && p <= MAX_PID));
  if (wrong !== undefined) bad(`--pid takes positive integer process ids up to ${MAX_PID} (got ${wrong})`);
}

/** serve --max-targets: the kernel's per-target table has MAX_TARGETS_LIMIT slots. */
export function checkMaxTargets(v: number | undefined): void {
  if (!(v !== undefined && isInt(v) && v >= 1 && v <= MAX_TARGETS_LIMIT)) bad(`--max-targets must be an integer from 1 to ${MAX_TARGETS_LIMIT} (got ${v})`);
}

/**
 * --comm: matched against a task's name, of which the kernel keeps
 * TASK_COMM_LEN - 1 = 15 bytes (not characters: a UTF-8 name is cut inside a
 * character), so a longer name never matches anything.
 */
export function checkComm(v: string | string[] | undefined): void {
  if (v === undefined) return;
  if (Array.isArray(v)) bad(`--comm takes one process name (got ${v.length}: ${v.map((c) => JSON.stringify(c)).join(', ')})`);
  if (v === '') bad('--comm is empty: give the process name, as `ps -o comm=` shows it');
  const bytes = Buffer.byteLength(v);
  if (bytes > COMM_MAX) {
    let fit = '';
    for (const ch of v) {
      if (Buffer.byteLength(fit + ch) > COMM_MAX) break;
      fit += ch;
    }
    bad(`--comm "${v}" is ${bytes} bytes, longer than the ${COMM_MAX} the kernel keeps of a process name, so it would never match: use "${fit}"`);
  }
}

/**
 * --scratch and --policy: their paths reach the engine's plan (the scratch
 * files, the policy's name), where a control character has no business
 * (workloads/control-chars.ts).
 */
export function checkPathFlag(flag: string, v: string | undefined): void {
  const problem = v === undefined ? undefined : controlCharProblem(flag, v);
  if (problem) bad(problem);
}
