// Hosts a full-screen ink view over a store: the terminal guard, the switch to
// the blessed-contrib dashboard and back, signals, and a clean quit. Shared by
// the interactive session (cli/tui.ts) and the recording player (cli/view.ts),
// which differ only in what they render and what feeds the store.
import type { ReactElement } from 'react';
import { createElement } from 'react';
import { render, type Instance } from 'ink';
import { StoreContext, ThemeContext } from '../tui/hooks.js';
import type { Store } from '../tui/store.js';
import { makeTheme } from '../tui/theme.js';
import { terminalGuard } from '../tui/terminal.js';
import { EXIT_OK, EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';

/** What the session and `top` suggest instead: the headless commands that show the same numbers. */
export const HEADLESS = '`uringscope trace ...` or `uringscope run WORKLOAD --json`';

/** `instead`: the command that shows the same without a screen (`view` suggests `report`). */
export function requireTty(instead = HEADLESS): void {
  // Keys need a terminal on stdin too (raw mode); one line on stderr, exit 2.
  if (!process.stdout.isTTY || !process.stdin.isTTY) throw new UserError(`the TUI needs a terminal; use ${instead}`, EXIT_USAGE);
}

/** What feeds the store; the host calls it back for quit and the dashboard. */
export interface Hosted {
  onQuit?: () => void;
  onDashboard?: () => void;
  /** Stops whatever feeds the store (bounded wait); the screen is still up. */
  shutdown(): Promise<void>;
  quit(): void;
}

export interface HostOptions {
  fps: number;
  /** Open the dashboard at once. */
  dashboard: boolean;
  /** The ink tree; `back` is true when coming back from the dashboard. */
  view(back: boolean): ReactElement;
}

/** Mounts the view and resolves with exit status 0 once the user quits. */
export function hostTui(store: Store, fed: Hosted, o: HostOptions): Promise<number> {
  const guard = terminalGuard();
  let ink: Instance | undefined;
  let quitting = false;
  const quit = new Promise<number>((resolve) => {
    fed.onQuit = () => {
      if (quitting) return;
      quitting = true;
      void fed.shutdown().then(() => {
        ink?.unmount();
        guard.restore();
        resolve(EXIT_OK);
      });
    };
  });
  // `on`, not `once`: ink's signal-exit re-raises a signal that it finds no
  // other listener for, and a `once` listener is already gone when it looks,
  // so SIGTERM killed the session (status 143) mid-quit, its engine stop and
  // the terminal's restore cut short. A repeat is harmless: quit runs once.
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(sig, () => fed.quit());

  const mountInk = (back = false) => {
    ink = render(
      createElement(ThemeContext.Provider, { value: makeTheme() }, createElement(StoreContext.Provider, { value: store }, o.view(back))),
      { exitOnCtrlC: false, patchConsole: true, maxFps: Math.max(4, Math.ceil(o.fps)) },
    );
  };
  fed.onDashboard = () => {
    void import('../tui/dashboard.js')
      .then(({ openDashboard }) => {
        ink?.unmount();
        ink = undefined;
        openDashboard(store, {
          fps: o.fps,
          // blessed leaves the alternate screen when it closes: go back to it for ink.
          onClose: () => {
            guard.enter();
            mountInk(true);
          },
          onQuit: () => {
            guard.left();
            fed.quit();
          },
        });
      })
      .catch((e: Error) => store.note('error', `dashboard: ${e.message}`));
  };
  mountInk();
  if (o.dashboard) fed.onDashboard();
  return quit;
}
