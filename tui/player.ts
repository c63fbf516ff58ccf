// Plays a recording's timeline into the store at a chosen speed: each recorded
// interval goes through store.interval() exactly as a live snapshot does, so
// the panels cannot tell a recording from a run. Seeking forward applies the
// intervals in between; seeking back rebuilds the run from the start (the
// store only adds up, it cannot subtract) in one batch. No IO: the CLI reads
// the file (recording/timeline.ts) and hands the timeline over.
import type { Timeline } from '../recording/timeline.js';
import { engineProgressOf } from '../recording/timeline.js';
import type { PlaybackControls } from './controller.js';
import type { Playback, Store } from './store.js';

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16];

/** Timers, injectable so component tests step playback by hand instead of waiting. */
export interface Scheduler {
  set(f: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  set: (f, ms) => setTimeout(f, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface PlayerOptions {
  scheduler?: Scheduler;
  /** Start playing at once (the CLI); tests start paused and step. */
  autoplay?: boolean;
  speed?: number;
}

const REASONS: Record<string, string> = {
  duration: 'duration reached', completed: 'finished', 'command-exit': 'command exited',
  'targets-exited': 'target exited', signal: 'stopped by a signal', stopped: 'stopped', error: 'failed',
};

export class Player implements PlaybackControls {
  /** Intervals applied so far (0 = nothing shown yet). */
  private index = 0;
  private clockNs = 0;
  private speedIdx: number;
  private playing: boolean;
  private ended = false;
  private timer?: unknown;
  private id = 0;
  private readonly sched: Scheduler;

  constructor(
    private readonly store: Store,
    private readonly t: Timeline,
    o: PlayerOptions = {},
  ) {
    this.sched = o.scheduler ?? realScheduler;
    this.playing = o.autoplay ?? true;
    const i = SPEEDS.indexOf(o.speed ?? 1);
    this.speedIdx = i < 0 ? SPEEDS.indexOf(1) : i;
  }

  /** Recorded time of what is on screen: the store's clock, so log lines carry recording time. */
  nowMs = (): number => this.clockNs / 1e6;

  get speed(): number {
    return SPEEDS[this.speedIdx];
  }

  start(): void {
    this.rebuild(0);
    this.schedule();
  }

  stop(): void {
    this.cancel();
  }

  toggle(): void {
    if (this.ended) {
      // Space at the end plays it again from the start.
      this.playing = true;
      this.rebuild(0);
    } else {
      this.playing = !this.playing;
    }
    this.publish();
    this.schedule();
  }

  seek(delta: number): void {
    const count = this.t.steps.length;
    const target = Math.max(0, Math.min(count, this.index + delta));
    if (target === this.index && !(target === count && !this.ended)) return;
    this.store.batch(() => {
      if (target < this.index || this.ended) this.rebuild(target);
      else this.forward(target);
    });
    this.schedule();
  }

  faster(): void {
    this.setSpeed(this.speedIdx + 1);
  }

  slower(): void {
    this.setSpeed(this.speedIdx - 1);
  }

  private setSpeed(i: number): void {
    const j = Math.max(0, Math.min(SPEEDS.length - 1, i));
    if (j === this.speedIdx) return;
    this.speedIdx = j;
    this.publish();
    // The wait for the next interval starts again at the new speed.
    this.schedule();
  }

  /** Empties the store and applies the first `n` intervals (and the end, if that is all of them). */
  private rebuild(n: number): void {
    this.store.batch(() => {
      this.store.reset();
      this.index = 0;
      this.clockNs = 0;
      this.ended = false;
      const t = this.t;
      this.id = this.store.begin({ label: t.label, workload: t.workload, strategy: t.strategy, stepsPerChain: t.stepsPerChain, source: t.path, policy: t.policy });
      this.store.started(this.id);
      this.store.note('info', `recording ${t.path}: ${t.steps.length} intervals, ${(t.totalNs / 1e9).toFixed(1)}s`);
      this.forward(n);
    });
  }

  private forward(n: number): void {
    const steps = this.t.steps;
    while (this.index < n) {
      const s = steps[this.index++];
      this.clockNs += s.summary.durationNs;
      this.store.interval(this.id, s.summary, s.snapshot, this.t.header.opNames);
    }
    if (this.index === steps.length) this.finish();
    else this.publish();
  }

  /** The recording's end: its whole-run summary and engine numbers, as a live run ends. */
  private finish(): void {
    const t = this.t;
    const engine = engineProgressOf(t.summary);
    if (engine) this.store.progress(this.id, engine);
    const d = t.info.damage;
    if (d) this.store.note('error', `recording cut: ${d.message}${d.lostBytes ? `; ${d.lostBytes} bytes after it lost` : ''}`);
    const reason = t.end ? REASONS[t.end.reason] ?? t.end.reason : 'cut short, no end record';
    this.store.end(this.id, { note: `end of recording: ${reason}`, final: t.summary, error: t.end?.error });
    this.ended = true;
    this.playing = false;
    this.publish();
  }

  private publish(): void {
    const p: Playback = {
      positionNs: this.clockNs,
      totalNs: this.t.totalNs,
      index: this.index,
      count: this.t.steps.length,
      speed: this.speed,
      state: this.ended ? 'ended' : this.playing ? 'playing' : 'paused',
      source: this.t.path,
    };
    this.store.setPlayback(p);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.sched.clear(this.timer);
    this.timer = undefined;
  }

  /** Waits the next interval's recorded length, divided by the speed, then shows it. */
  private schedule(): void {
    this.cancel();
    if (!this.playing || this.ended) return;
    const next = this.t.steps[this.index];
    if (!next) return;
    this.timer = this.sched.set(() => {
      this.timer = undefined;
      this.forward(this.index + 1);
      this.schedule();
    }, next.summary.durationNs / 1e6 / this.speed);
  }
}
