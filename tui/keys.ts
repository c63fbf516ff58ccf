// Key bindings, one table per kind of screen (the session, the recording
// player): the key handler and the help overlay read the same table, so they
// cannot disagree.
import type { Key } from 'ink';

export type Action =
  | 'quit' | 'help' | 'start' | 'stop' | 'pause' | 'compare' | 'dashboard' | 'setup' | 'live'
  | 'up' | 'down' | 'prevStrategy' | 'nextStrategy' | 'link' | 'user' | 'bpf'
  | 'moreConcurrency' | 'lessConcurrency' | 'longer' | 'shorter' | 'policy';

export interface Binding<A extends string = Action> {
  keys: string;
  action: A;
  what: string;
}

export const BINDINGS: Binding[] = [
  { keys: 'Enter/s', action: 'start', what: 'start the selected workload (restarts a finished run)' },
  { keys: 'x', action: 'stop', what: 'stop the run (in-flight requests are cancelled)' },
  { keys: 'p/space', action: 'pause', what: 'pause/resume the display (the run goes on)' },
  { keys: '↑↓ j/k', action: 'up', what: 'pick a workload' },
  { keys: '←→ h/l', action: 'nextStrategy', what: 'pick a strategy (1 link, 2 user, 3 bpf)' },
  { keys: '+/-', action: 'moreConcurrency', what: 'concurrency ×2 / ÷2' },
  { keys: ']/[', action: 'longer', what: 'duration up / down (0 = the workload\'s chain count)' },
  { keys: 'o', action: 'policy', what: 'C policy for user/bpf: none, the built-ins, --policy FILE' },
  { keys: 'c', action: 'compare', what: 'compare: the selected strategy, then bpf (user then bpf if bpf is selected)' },
  { keys: 'Tab', action: 'live', what: 'switch between setup and the live panels' },
  { keys: 'd', action: 'dashboard', what: 'full-screen dashboard (q or d to come back)' },
  { keys: '?', action: 'help', what: 'this help' },
  { keys: 'q/Ctrl-C', action: 'quit', what: 'quit (stops the run, detaches the tracer)' },
];

/** The key press as an action, or undefined when it means nothing. */
export function actionOf(input: string, key: Key): Action | undefined {
  if (key.ctrl && input === 'c') return 'quit';
  if (key.return) return 'start';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'prevStrategy';
  if (key.rightArrow) return 'nextStrategy';
  if (key.tab) return 'live';
  if (key.escape) return 'setup';
  switch (input) {
    case 'q': return 'quit';
    case '?': return 'help';
    case 's': return 'start';
    case 'x': return 'stop';
    case 'p': case ' ': return 'pause';
    case 'k': return 'up';
    case 'j': return 'down';
    case 'h': return 'prevStrategy';
    case 'l': return 'nextStrategy';
    case '1': return 'link';
    case '2': return 'user';
    case '3': return 'bpf';
    case '+': case '=': return 'moreConcurrency';
    case '-': return 'lessConcurrency';
    case ']': return 'longer';
    case '[': return 'shorter';
    case 'c': return 'compare';
    case 'd': return 'dashboard';
    case 'o': return 'policy';
    case 'w': return 'setup';
    default: return undefined;
  }
}

/** Durations the [ ] keys step through, in seconds; 0 = the workload's chains. */
export const DURATIONS = [0, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/** `uringscope view`: a recording's player. */
export type ViewAction = 'quit' | 'help' | 'pause' | 'back' | 'forward' | 'backMore' | 'forwardMore' | 'faster' | 'slower' | 'dashboard' | 'close';

export const VIEW_BINDINGS: Binding<ViewAction>[] = [
  { keys: 'space/p', action: 'pause', what: 'pause/resume playback (at the end: play again)' },
  { keys: '←→ h/l', action: 'back', what: 'seek one interval back / forward' },
  { keys: 'PgUp/PgDn', action: 'backMore', what: 'seek ten intervals back / forward' },
  { keys: '+/-', action: 'faster', what: 'playback speed ×2 / ÷2 (0.25× to 16×)' },
  { keys: 'd', action: 'dashboard', what: 'full-screen dashboard (q or d to come back)' },
  { keys: '?', action: 'help', what: 'this help' },
  { keys: 'q/Ctrl-C', action: 'quit', what: 'quit' },
];

/** A key press in the player as an action, or undefined when it means nothing. */
export function viewActionOf(input: string, key: Key): ViewAction | undefined {
  if (key.ctrl && input === 'c') return 'quit';
  if (key.leftArrow) return 'back';
  if (key.rightArrow) return 'forward';
  if (key.pageUp) return 'backMore';
  if (key.pageDown) return 'forwardMore';
  if (key.escape) return 'close';
  switch (input) {
    case 'q': return 'quit';
    case '?': return 'help';
    case ' ': case 'p': return 'pause';
    case 'h': return 'back';
    case 'l': return 'forward';
    case '+': case '=': return 'faster';
    case '-': return 'slower';
    case 'd': return 'dashboard';
    default: return undefined;
  }
}

/**
 * Runs `act` for a key press; input that is no key as a whole may be several
 * typed at once (a paste, tmux send-keys), and each must act in turn.
 */
export function eachKey<A>(input: string, key: Key, of: (input: string, key: Key) => A | undefined, act: (a: A) => void): void {
  const a = of(input, key);
  if (a) return act(a);
  if (input.length > 1 && !key.ctrl && !key.meta) {
    for (const ch of input) {
      const b = of(ch === '\r' ? '' : ch, { ...key, return: ch === '\r' });
      if (b) act(b);
    }
  }
}
