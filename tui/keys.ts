// Key bindings, one table per kind of screen (the session, the recording
// player): the key handler and the help overlay read the same table, so they
// cannot disagree.
import type { Key } from 'ink';

export type Action =
  | 'quit' | 'help' | 'start' | 'stop' | 'pause' | 'compare' | 'dashboard' | 'setup' | 'live'
  | 'up' | 'down' | 'prevStrategy' | 'nextStrategy' | 'link' | 'user' | 'bpf'
  | 'moreConcurrency' | 'lessConcurrency' | 'longer' | 'shorter' | 'policy';

/** Where a status line is shown: each names the keys that matter there. */
export type StatusScreen = 'setup' | 'live' | 'top' | 'view' | 'view-compare';

/**
 * A key: one typed character, or the name of one of ink's Key flags
 * ('return', 'upArrow', ..., and 'ctrl+c').
 */
export type Press = string;

export interface Binding<A extends string = Action> {
  /** As the help overlay shows them. */
  keys: string;
  action: A;
  what: string;
  /** Every key of the row and what it does (a row can hold a pair: up/down). */
  press: [Press, A][];
  /** The row's words in the status line of these screens, in table order. */
  status?: Partial<Record<StatusScreen, string>>;
}

// The table's order is the help overlay's and every status line's.
export const BINDINGS: Binding[] = [
  { keys: 'x', action: 'stop', what: 'stop the run (in-flight requests are cancelled)', press: [['x', 'stop']], status: { live: 'x stop' } },
  { keys: 'p/space', action: 'pause', what: 'pause/resume the display (the run goes on)', press: [['p', 'pause'], [' ', 'pause']], status: { live: 'p pause', top: 'p pause' } },
  { keys: 'Enter/s', action: 'start', what: 'start the selected workload (restarts a finished run)', press: [['return', 'start'], ['s', 'start']], status: { setup: 'Enter start', live: 'Enter restart' } },
  { keys: '↑↓ j/k', action: 'up', what: 'pick a workload', press: [['upArrow', 'up'], ['k', 'up'], ['downArrow', 'down'], ['j', 'down']], status: { setup: '↑↓ workload' } },
  { keys: '←→ h/l', action: 'nextStrategy', what: 'pick a strategy (1 link, 2 user, 3 bpf)',
    press: [['leftArrow', 'prevStrategy'], ['h', 'prevStrategy'], ['rightArrow', 'nextStrategy'], ['l', 'nextStrategy'], ['1', 'link'], ['2', 'user'], ['3', 'bpf']], status: { setup: '←→ strategy' } },
  { keys: '+/-', action: 'moreConcurrency', what: 'concurrency ×2 / ÷2', press: [['+', 'moreConcurrency'], ['=', 'moreConcurrency'], ['-', 'lessConcurrency']], status: { setup: '+/- conc' } },
  { keys: ']/[', action: 'longer', what: 'duration up / down (0 = the workload\'s chain count)', press: [[']', 'longer'], ['[', 'shorter']], status: { setup: '[] dur' } },
  { keys: 'o', action: 'policy', what: 'C policy for user/bpf: none, the built-ins, --policy FILE', press: [['o', 'policy']] },
  { keys: 'Esc/w', action: 'setup', what: 'back to setup (closes this help)', press: [['escape', 'setup'], ['w', 'setup']], status: { live: 'Esc setup' } },
  { keys: 'c', action: 'compare', what: 'compare: the selected strategy, then bpf (user then bpf if bpf is selected)', press: [['c', 'compare']], status: { setup: 'c compare', live: 'c compare' } },
  { keys: 'Tab', action: 'live', what: 'switch between setup and the live panels', press: [['tab', 'live']] },
  { keys: 'd', action: 'dashboard', what: 'full-screen dashboard (q or d to come back)', press: [['d', 'dashboard']], status: { live: 'd dash', top: 'd dashboard' } },
  { keys: '?', action: 'help', what: 'this help', press: [['?', 'help']], status: { setup: '? help', live: '? help', top: '? help' } },
  { keys: 'q/Ctrl-C', action: 'quit', what: 'quit (stops the run, detaches the tracer)', press: [['q', 'quit'], ['ctrl+c', 'quit']], status: { setup: 'q quit', live: 'q quit', top: 'q quit' } },
];

// ink's Key flags a binding can name, in the order they are tried.
const SPECIAL = ['return', 'upArrow', 'downArrow', 'leftArrow', 'rightArrow', 'pageUp', 'pageDown', 'tab', 'escape'] as const;

/** The key handler a table makes: a key press as its action, or undefined when it means nothing. */
export function handlerOf<A extends string>(bindings: readonly Binding<A>[]): (input: string, key: Key) => A | undefined {
  const map = new Map<Press, A>();
  for (const b of bindings) for (const [p, a] of b.press) map.set(p, a);
  return (input, key) => {
    if (key.ctrl && input === 'c') return map.get('ctrl+c');
    for (const k of SPECIAL) if (key[k]) return map.get(k);
    return input.length === 1 ? map.get(input) : undefined;
  };
}

/** The status line's key list for a screen, from the table. */
export function statusKeys(bindings: readonly Binding<string>[], screen: StatusScreen): string {
  return bindings.flatMap((b) => (b.status?.[screen] ? [b.status[screen]] : [])).join(' ');
}

export const actionOf = handlerOf(BINDINGS);

/** Durations the [ ] keys step through, in seconds; 0 = the workload's chains. */
export const DURATIONS = [0, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/** `uringscope view`: a recording's player. */
export type ViewAction = 'quit' | 'help' | 'pause' | 'back' | 'forward' | 'backMore' | 'forwardMore' | 'faster' | 'slower' | 'dashboard' | 'close';

export const VIEW_BINDINGS: Binding<ViewAction>[] = [
  { keys: 'space/p', action: 'pause', what: 'pause/resume playback (at the end: play again)', press: [[' ', 'pause'], ['p', 'pause']], status: { view: 'space pause' } },
  { keys: '←→ h/l', action: 'back', what: 'seek one interval back / forward', press: [['leftArrow', 'back'], ['h', 'back'], ['rightArrow', 'forward'], ['l', 'forward']], status: { view: '←→ seek' } },
  { keys: 'PgUp/PgDn', action: 'backMore', what: 'seek ten intervals back / forward', press: [['pageUp', 'backMore'], ['pageDown', 'forwardMore']] },
  { keys: '+/-', action: 'faster', what: 'playback speed ×2 / ÷2 (0.25× to 16×)', press: [['+', 'faster'], ['=', 'faster'], ['-', 'slower']], status: { view: '+/- speed' } },
  { keys: 'Esc', action: 'close', what: 'close this help', press: [['escape', 'close']] },
  { keys: 'd', action: 'dashboard', what: 'full-screen dashboard (q or d to come back)', press: [['d', 'dashboard']], status: { view: 'd dash', 'view-compare': 'd dash' } },
  { keys: '?', action: 'help', what: 'this help', press: [['?', 'help']], status: { view: '? help', 'view-compare': '? help' } },
  { keys: 'q/Ctrl-C', action: 'quit', what: 'quit', press: [['q', 'quit'], ['ctrl+c', 'quit']], status: { view: 'q quit', 'view-compare': 'q quit' } },
];

export const viewActionOf = handlerOf(VIEW_BINDINGS);

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
