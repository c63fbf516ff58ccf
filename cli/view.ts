// `uringscope view FILE [FILE2]`: plays a recording in the TUI's panels, or
// shows two side by side in the compare view. Reads the file(s) first, so a
// file that is not a recording is one line and exit 65 before any screen; a
// cut one plays up to the break and, once the screen is closed, says what was
// lost in one line and exits 3, as `report` does.
import { createElement } from 'react';
import { EXIT_INCOMPLETE } from '../core/exit-codes.js';
import { lossLine } from '../recording/report.js';
import { loadTimeline, type Timeline } from '../recording/timeline.js';
import { UserError } from '../core/user-error.js';
import { showRecordings } from '../tui/compare-recordings.js';
import type { ViewController } from '../tui/controller.js';
import { Player } from '../tui/player.js';
import { Store } from '../tui/store.js';
import { Viewer } from '../tui/viewer.js';
import { hostTui, requireTty, type Hosted } from './tui-host.js';
import type { ViewArgs } from './view-args.js';

/** Feeds the store from the recording(s); the host calls it back for quit and the dashboard. */
class Viewing implements ViewController, Hosted {
  onQuit?: () => void;
  onDashboard?: () => void;

  constructor(readonly playback?: Player) {}

  quit(): void {
    this.onQuit?.();
  }

  dashboard(): void {
    this.onDashboard?.();
  }

  async shutdown(): Promise<void> {
    this.playback?.stop();
  }
}

export async function runView(a: ViewArgs): Promise<number> {
  const timelines: Timeline[] = [await loadTimeline(a.file)];
  if (a.file2) timelines.push(await loadTimeline(a.file2));
  // Without a screen, `report` prints the same recording(s) as text.
  requireTty(`\`uringscope report ${[a.file, a.file2].filter(Boolean).join(' ')}\``);

  let player: Player | undefined;
  // The log's clock is the recording's: a line says when in the recording it happened.
  const store = new Store(() => player?.nowMs() ?? 0);
  if (timelines.length === 1) player = new Player(store, timelines[0], { autoplay: !a.paused, speed: a.speed });
  const viewing = new Viewing(player);
  const done = hostTui(store, viewing, { fps: 4, dashboard: a.dashboard, view: () => createElement(Viewer, { controller: viewing }) });
  if (player) player.start();
  else showRecordings(store, timelines);
  const code = await done;

  // After the screen is gone, so it stays on the terminal: what a cut file lost.
  let incomplete = false;
  for (const t of timelines) {
    const line = lossLine(t.info);
    if (!line) continue;
    process.stderr.write(`uringscope: ${line}\n`);
    incomplete = true;
  }
  return incomplete ? EXIT_INCOMPLETE : code;
}
