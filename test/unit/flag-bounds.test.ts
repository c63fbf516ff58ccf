// The flag bounds (cli/flag-bounds.ts) as pure functions: every flag that
// becomes a timer stays within Node's 2^31-1 ms, every rate within a sane
// refresh, and each refusal is one UserError line, exit 2, naming the flag
// and the value given. With the other pure checks of what a flag names: the
// --otlp URL shown without its credentials, an empty command after --.
import { userErrorOf } from './user-error.js';
import {
  checkComm, checkConcurrency, checkDuration, checkFps, checkInterval, checkMaxTargets, checkPids, checkReplaySpeed,
  checkRings, checkViewSpeed, FPS, INTERVAL_MS, MAX_DURATION_S, MAX_PID, OTLP_INTERVAL_MS, SPEED,
} from '../../cli/flag-bounds.js';
import { UserError } from '../../core/user-error.js';
import { checkOtlpUrl, redactUrl } from '../../tracers/otlp-url.js';
import { checkCommand } from '../../tracers/targets.js';

/** Node fires a longer setTimeout/setInterval after 1 ms (TimeoutOverflowWarning). */
const TIMER_MAX_MS = 2 ** 31 - 1;

const refusal = (f: () => void): string => userErrorOf(f);

describe('timers and rates stay within what Node and the screen can do', () => {
  test('every bound that becomes a timer is below 2^31-1 ms', () => {
    expect(INTERVAL_MS.max).toBeLessThanOrEqual(TIMER_MAX_MS);
    expect(OTLP_INTERVAL_MS.max).toBeLessThanOrEqual(TIMER_MAX_MS);
    expect(MAX_DURATION_S * 1000).toBeLessThanOrEqual(TIMER_MAX_MS);
    expect(1000 / FPS.min).toBeLessThanOrEqual(TIMER_MAX_MS);
    expect(1000 / FPS.max).toBeGreaterThanOrEqual(10);
  });

  test('serve --interval: 2147483648 and 1e12 (clamped to 1 ms by Node: a push storm) are refused', () => {
    for (const v of [2147483648, 1e12, Infinity, NaN, 99, -1]) {
      expect(refusal(() => checkInterval(v, OTLP_INTERVAL_MS))).toBe(`--interval must be a number of milliseconds from 100 to 3600000 (got ${v})`);
    }
    for (const v of [100, 10000, 3_600_000]) expect(() => checkInterval(v, OTLP_INTERVAL_MS)).not.toThrow();
  });

  test('--fps: 0.000000001 (a 1 ms redraw once Node clamps 1e12 ms), 0, 31, NaN are refused', () => {
    for (const v of [0.000000001, 0, -4, 31, NaN, Infinity]) {
      expect(refusal(() => checkFps(v))).toBe(`--fps must be a number of refreshes per second from 0.1 to 30 (got ${v})`);
    }
    for (const v of [0.1, 4, 30]) expect(() => checkFps(v)).not.toThrow();
  });

  test('replay --speed: 1e-300 (Infinity once it divides the start times), 1e-10 (starts over 88 million s), 1e7, -1 are refused; 0 is "at once"', () => {
    for (const v of [1e-300, 1e-10, 1e7, -1, Infinity, NaN]) {
      expect(refusal(() => checkReplaySpeed(v))).toBe(`--speed must be 0 (every chain at once) or a factor from 0.001 to 1000000 (got ${v})`);
    }
    for (const v of [0, SPEED.min, 1, SPEED.max]) expect(() => checkReplaySpeed(v)).not.toThrow();
  });

  test('a repeated flag (yargs gives an array) is refused, not read as NaN somewhere later', () => {
    expect(refusal(() => checkInterval([100, 200] as unknown as number))).toMatch(/^--interval must be .* \(got 100,200\)$/);
    expect(refusal(() => checkFps([1, 2] as unknown as number))).toMatch(/^--fps must be/);
    expect(refusal(() => checkDuration([1, 2] as unknown as number, true))).toMatch(/^--duration must be/);
  });
});

describe('the other numeric flags', () => {
  test('--pid: 0, -1, 1.5, NaN and past PID_MAX_LIMIT (wrapped in the tracer\'s u32) are refused', () => {
    for (const v of [0, -1, 1.5, NaN, MAX_PID + 1, 4294967297, 1e20]) {
      expect(refusal(() => checkPids([1, v]))).toBe(`--pid takes positive integer process ids up to 4194303 (got ${v})`);
    }
    expect(() => checkPids([1, MAX_PID])).not.toThrow();
    expect(() => checkPids(undefined)).not.toThrow();
  });

  test('--concurrency, --rings, --max-targets, view --speed: integers in range, the value named', () => {
    expect(refusal(() => checkConcurrency(1e-300))).toBe('--concurrency must be an integer from 1 to 16383 (got 1e-300)');
    expect(refusal(() => checkRings(5))).toBe('--rings must be an integer from 1 to 4 (got 5)');
    expect(refusal(() => checkMaxTargets(NaN))).toBe('--max-targets must be an integer from 1 to 255 (got NaN)');
    expect(refusal(() => checkViewSpeed(3))).toBe('--speed must be one of 0.25, 0.5, 1, 2, 4, 8, 16 (got 3)');
    expect(() => checkConcurrency(16383)).not.toThrow();
    expect(() => checkRings(4)).not.toThrow();
    expect(() => checkMaxTargets(255)).not.toThrow();
    expect(() => checkViewSpeed(0.25)).not.toThrow();
  });
});

describe('--comm', () => {
  test('empty: says --comm is empty, not that a target is missing', () => {
    expect(refusal(() => checkComm(''))).toBe('--comm is empty: give the process name, as `ps -o comm=` shows it');
  });

  test('longer than the 15 bytes the kernel keeps, counted in bytes: it would never match', () => {
    expect(refusal(() => checkComm('a-very-long-process-name'))).toBe(
      '--comm "a-very-long-process-name" is 24 bytes, longer than the 15 the kernel keeps of a process name, so it would never match: use "a-very-long-pro"',
    );
    // 9 characters, 18 bytes of UTF-8: the kernel cuts it inside the 8th
    expect(refusal(() => checkComm('ééééééééé'))).toMatch(/is 18 bytes, .* would never match: use "ééééééé"$/);
    expect(() => checkComm('postgres')).not.toThrow();
    expect(() => checkComm('a'.repeat(15))).not.toThrow();
  });

  test('given twice: one name', () => {
    expect(refusal(() => checkComm(['a', 'b']))).toBe('--comm takes one process name (got 2: "a", "b")');
  });
});

describe('trace -- CMD', () => {
  test('an empty command says so (not "not executable" for a PATH directory it would resolve to)', () => {
    expect(refusal(() => checkCommand(''))).toBe('the command after -- is empty (got ""): give the program to run, e.g. -- ./app ARGS');
    expect(refusal(() => checkCommand('  '))).toMatch(/^the command after -- is empty \(got " {2}"\)/);
  });
});

describe('--otlp credentials are never shown', () => {
  test('user:password@ shows the user, *** for the password; a lone user name (a token) is hidden', () => {
    expect(redactUrl(checkOtlpUrl('http://user:s3cret@127.0.0.1:4318'))).toBe('http://user:***@127.0.0.1:4318/v1/metrics');
    expect(redactUrl(checkOtlpUrl('https://t0ken@collector/v1/metrics'))).toBe('https://***@collector/v1/metrics');
    expect(redactUrl(checkOtlpUrl('http://127.0.0.1:4318'))).toBe('http://127.0.0.1:4318/v1/metrics');
  });

  test('the URL pushed to keeps them (the exporter sends them as Basic auth)', () => {
    const u = checkOtlpUrl('http://user:s3cret@127.0.0.1:4318');
    expect([u.username, u.password]).toEqual(['user', 's3cret']);
  });

  test('nor in the errors about a URL that does not parse or is not http', () => {
    for (const raw of ['http://user:s3cret@host:99999/x', 'ftp://user:s3cret@host/x', 'http://user:s3@cret@host:1x/']) {
      const msg = refusal(() => checkOtlpUrl(raw));
      expect(msg).not.toMatch(/s3|cret/);
      expect(msg).toMatch(/user:\*\*\*@host/);
    }
  });
});
