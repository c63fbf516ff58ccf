// Full-screen blessed-contrib dashboard over the same store as the ink app:
// braille line chart of ops/s, a latency histogram as bars, gauges, a table
// of per-opcode latency, the policy's counters and the event log. It only renders store states; the
// run keeps going underneath and the ink app comes back on d/Esc.
import blessed from 'blessed';
import contrib from 'blessed-contrib';
import type { Store, StoreState } from './store.js';
import { foldBins } from './store.js';
import { fmtCount, fmtNs } from './format.js';
import { policyTable } from './policy-stats.js';
import { LogFeed } from './log-feed.js';

export interface DashboardOptions {
  fps: number;
  onClose(): void;
  onQuit(): void;
}

export function openDashboard(store: Store, o: DashboardOptions): void {
  const colour = !process.env.NO_COLOR;
  const screen = blessed.screen({ smartCSR: true, title: 'uringscope dashboard', forceUnicode: true, fullUnicode: true });
  const grid = new contrib.grid({ rows: 12, cols: 12, screen });
  const fg = (c: string) => (colour ? c : undefined);
  const line = grid.set(0, 0, 5, 8, contrib.line, { label: 'ops/s', showLegend: false, style: { line: fg('green'), text: fg('cyan'), baseline: fg('blue') }, wholeNumbersOnly: true });
  const cancelGauge = grid.set(0, 8, 2, 4, contrib.gauge, { label: 'cancelled / completed', stroke: fg('yellow'), fill: fg('white') });
  const totals = grid.set(2, 8, 3, 4, contrib.table, { label: 'totals', columnWidth: [16, 10], columnSpacing: 1, keys: false, interactive: false });
  const bars = grid.set(5, 0, 4, 6, contrib.bar, { label: 'latency histogram', barWidth: 7, barSpacing: 2, xOffset: 0, maxHeight: 9, barBgColor: fg('green') });
  const table = grid.set(5, 6, 4, 6, contrib.table, { label: 'latency per opcode', columnWidth: [8, 9, 9, 9, 9], columnSpacing: 1, keys: false, interactive: false });
  // Five twelfths: counter, value and rate still fit at 80 columns.
  const policy = grid.set(9, 7, 3, 5, contrib.table, { label: 'policy', columnWidth: [12, 8, 8], columnSpacing: 1, keys: false, interactive: false });
  const log = grid.set(9, 0, 3, 7, contrib.log, { label: 'events (d/Esc: back, q: quit)', fg: fg('green') });

  const feed = new LogFeed();
  const draw = (s: StoreState) => {
    const run = s.runs[s.runs.length - 1];
    if (run) {
      const hist = run.history.slice(-Math.max(10, (screen.width as number) - 10));
      line.setData([{ title: 'ops/s', x: hist.map((_, i) => String(i)), y: hist.map((p) => Math.round(p.opsPerS)) }]);
      const t = run.totals;
      cancelGauge.setPercent?.(t.completed ? Math.min(100, Math.round((t.cancelled / t.completed) * 100)) : 0);
      totals.setData({
        headers: ['', ''],
        data: [
          ['ops/s', fmtCount(Math.round(run.opsPerS))],
          ['completions', fmtCount(t.completed)],
          ['cancelled', fmtCount(t.cancelled)],
          ['errors', fmtCount(t.errors)],
          ['io_uring_enter', fmtCount(t.enterCalls)],
          ['app vol sw', fmtCount(t.switches.app.voluntary)],
          ['drops', fmtCount(t.drops)],
          ...(t.bpfOps ? [['bpf-ops steps', fmtCount(t.bpfOps.loopSteps)], ['SQEs from BPF', fmtCount(t.bpfOps.sqesFromBpf)]] : []),
        ],
      });
      const bins = foldBins(run.hist?.bins ?? [], 6);
      bars.setData({ titles: bins.map((b) => fmtNs(b.lowNs)), data: bins.map((b) => b.count) });
      table.setData({
        headers: ['op', 'p50', 'p90', 'p99', 'max'],
        data: Object.entries(run.latency).map(([op, l]) => [op, fmtNs(l.p50), fmtNs(l.p90), fmtNs(l.p99), fmtNs(l.max)]),
      });
      // What decides the chains: a C policy's own counters live, the in-kernel interpreter's, or kernel links.
      const p = policyTable(run);
      policy.setLabel(p.label);
      policy.setData({ headers: ['counter', 'value', '/s'], data: p.rows });
    }
    // The log widget only appends: a line updated in place is appended again when its text changed.
    for (const l of feed.next(s.log)) log.log?.(l);
    screen.render();
  };

  // Redraw at the configured rate, not per store change: a frame costs more here than in ink.
  const timer = setInterval(() => draw(store.liveState()), Math.round(1000 / o.fps));
  draw(store.liveState());
  const close = (then: () => void) => {
    clearInterval(timer);
    screen.destroy();
    then();
  };
  screen.key(['q', 'C-c'], () => close(o.onQuit));
  screen.key(['d', 'escape'], () => close(o.onClose));
}
