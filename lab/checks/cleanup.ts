// The last check: whatever ran before, nothing of ours may stay in the kernel.
import type { Checks } from './context.js';
import { noProgramsWithin } from './programs.js';

export const cleanupChecks: Checks = () => [{ name: 'no BPF program of ours left loaded', run: () => noProgramsWithin(10_000) }];
