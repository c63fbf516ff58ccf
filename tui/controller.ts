// What the views may ask for. The CLI glue (cli/tui.ts) implements it with
// real runs; tests pass a recording fake. Views never touch runs directly.
import { STRATEGIES, type Strategy } from '../core/strategy.js';

export { STRATEGIES, type Strategy };

export interface StrategyState {
  ok: boolean;
  /** Why it cannot run here (kernel, privileges, not built). */
  reason?: string;
}

export type Strategies = Record<Strategy, StrategyState>;

export interface RunConfig {
  workload: string;
  strategy: Strategy;
  concurrency: number;
  /** Seconds; 0 = the workload's own chain count. */
  durationS: number;
  /** A C policy (built-in name or .c file) for user and bpf; under link the kernel's links decide and it is not used. */
  policy?: string;
}

/** Whether a run of `cfg` uses its policy: kernel links follow their own rules, no policy decides there. */
export function policyApplies(cfg: Pick<RunConfig, 'policy' | 'strategy'>): boolean {
  return !!cfg.policy && cfg.strategy !== 'link';
}

export interface WorkloadItem {
  name: string;
  description: string;
  error?: string;
}

export interface Controller {
  start(cfg: RunConfig): void;
  /** Runs cfg.strategy, then `other`, on the same workload, for the compare view. */
  compare(cfg: RunConfig, other: Strategy): void;
  stop(): void;
  /** Full-screen blessed-contrib dashboard; the run goes on underneath. */
  dashboard?(): void;
  quit(): void;
}

/** What the keys of `uringscope view` ask of the recording's player (tui/player.ts). */
export interface PlaybackControls {
  toggle(): void;
  /** Moves by this many intervals (negative: back). */
  seek(intervals: number): void;
  faster(): void;
  slower(): void;
}

/** What the player screen (`uringscope view`) may ask for; `playback` is absent when comparing. */
export interface ViewController {
  playback?: PlaybackControls;
  dashboard?(): void;
  quit(): void;
}
