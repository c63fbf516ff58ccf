// How the panels share the terminal: the live panels of one run sized to the
// screen, and how many rows the main content takes so the event log gets the
// rest. Shared by the interactive session (app.tsx) and the player (viewer.tsx).
import { Box } from 'ink';
import { FailuresPanel } from './panels/failures.js';
import { LatencyPanel } from './panels/latency.js';
import { PolicyPanel, policyRows } from './panels/policy.js';
import { SwitchesPanel } from './panels/switches.js';
import { SyscallsPanel } from './panels/syscalls.js';
import { ThreadsPanel } from './panels/threads.js';
import { ThroughputPanel } from './panels/throughput.js';
import type { RunState } from './store.js';

/** The panels of one run, laid out for the terminal's size. */
export function LivePanels({ run, width, rows, withThreads }: { run: RunState; width: number; rows: number; withThreads: boolean }) {
  const left = Math.floor(width / 2);
  const right = width - left;
  const small = rows < 30;
  const maxOps = small ? 3 : 4;
  const maxBins = small ? 4 : 6;
  const maxStats = policyStatRows(rows);
  // Rows above the log: two panel rows; what is left goes to the thread table and the log.
  const latencyRows = 2 + Math.min(maxOps, Math.max(1, Object.keys(run.latency).length)) + (run.hist ? 1 + Math.min(maxBins, run.hist.bins.length) : 0);
  const used = 6 + Math.max(latencyRows, 7 + policyRows(run, maxStats));
  const spare = Math.max(2, rows - used);
  const threadRows = withThreads ? Math.max(0, spare - 4) : 0;
  return (
    <Box flexDirection="column">
      <Box flexDirection="row">
        <ThroughputPanel run={run} width={left} />
        <FailuresPanel run={run} width={right} />
      </Box>
      <Box flexDirection="row">
        <LatencyPanel run={run} width={left} maxOps={maxOps} maxBins={maxBins} />
        <Box flexDirection="column" width={right}>
          <SyscallsPanel run={run} width={right} />
          {run.policy ? <PolicyPanel run={run} width={right} maxStats={maxStats} /> : null}
          <SwitchesPanel run={run} width={right} />
        </Box>
      </Box>
      {withThreads && threadRows > 1 ? <ThreadsPanel threads={run.threads ?? []} width={width} maxRows={threadRows - 2} /> : null}
    </Box>
  );
}

/** A C policy's counters shown live, one per row: fewer on a small terminal, where the log needs its rows too. */
export function policyStatRows(rows: number): number {
  return rows < 30 ? 2 : 4;
}

/**
 * Rough height of the main content, so the log takes what is left. `extra`:
 * rows a panel shown only sometimes adds (a C policy's counters).
 */
export function contentRows(what: 'setup' | 'compare' | 'top' | 'live', body: number, runs: number, extra = 0): number {
  if (what === 'setup') return Math.min(body - 6, 10);
  if (what === 'compare') return runs ? 13 + extra : 1;
  // The log keeps three rows at least; two when a policy's counters need the room (80x24).
  const cap = body - 1 - (extra ? 2 : 3);
  return what === 'top' ? body - 4 : Math.min(cap, (body < 28 ? 16 : 20) + extra);
}
