// `view` of a real recording made with --policy: the player names the policy
// and, at the end, shows its counters in the Policy panel as a live run does.
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { engineProgressOf, loadTimeline } from '../recording/timeline.js';
import { StoreContext, ThemeContext } from '../tui/hooks.js';
import { Player } from '../tui/player.js';
import { Store } from '../tui/store.js';
import { makeTheme } from '../tui/theme.js';
import { Viewer } from '../tui/viewer.js';
import { kernelGate } from './kernel-gate.js';
import { runCli, scratchDir } from './support.js';
import { plain, tick } from './tui-fixtures.js';
import { manualScheduler } from './view-fixtures.js';

const gate = await kernelGate();
const dir = scratchDir();

gate.test({ strategy: 'bpf' })('a recording of a C-policy run plays with the policy named and its counters at the end', async () => {
  const file = join(dir, 'policy.usrec');
  const r = await runCli(['record', '-o', file, 'short-read', '--strategy', 'bpf', '--policy', 'short-read', '--chains', '300']);
  expect(r.code).toBe(0);

  const t = await loadTimeline(file);
  expect(t.policy).toBe('short-read');
  expect(t.label).toBe('short-read · bpf · policy short-read');
  const p = engineProgressOf(t.summary)!.policy!;
  expect(p['stat.short_reads']).toBe(300);
  expect(p['stat.eofs']).toBe(300);

  const sched = manualScheduler();
  let player: Player | undefined;
  const store = new Store(() => player?.nowMs() ?? 0);
  player = new Player(store, t, { scheduler: sched });
  const ui = render(
    <ThemeContext.Provider value={makeTheme({ NO_COLOR: '1' })}>
      <StoreContext.Provider value={store}>
        <Viewer controller={{ playback: player, quit: () => undefined }} />
      </StoreContext.Provider>
    </ThemeContext.Provider>,
  );
  player.start();
  await tick();
  while (sched.pending.length) {
    sched.fire();
    await tick();
  }
  const f = plain(ui.lastFrame());
  expect(f).toContain('short-read · bpf · policy short-read');
  expect(f).toMatch(/short_reads\s+300/);
  expect(f).toMatch(/eofs\s+300/);
  ui.unmount();
});
