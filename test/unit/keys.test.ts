// The key tables (tui/keys.ts): the handler, the help overlay and the status
// lines all come from them, so these pin what they say.
import type { Key } from 'ink';
import { actionOf, BINDINGS, statusKeys, VIEW_BINDINGS, viewActionOf, type Binding } from '../../tui/keys.js';

const key = (over: Partial<Key> = {}) => ({ ...over }) as Key;

describe('key tables', () => {
  test.each([['session', BINDINGS], ['player', VIEW_BINDINGS]] as [string, Binding<string>[]][])('%s: no key is bound twice', (_n, table) => {
    const keys = table.flatMap((b) => b.press.map(([p]) => p));
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('the session handler', () => {
    expect(actionOf('c', key({ ctrl: true }))).toBe('quit');
    expect(actionOf('\r', key({ return: true }))).toBe('start');
    expect(actionOf('', key({ escape: true }))).toBe('setup');
    expect(actionOf('w', key())).toBe('setup');
    expect(actionOf('=', key())).toBe('moreConcurrency');
    expect(actionOf('2', key())).toBe('user');
    expect(actionOf('', key({ tab: true }))).toBe('live');
    expect(actionOf('z', key())).toBeUndefined();
    expect(actionOf('', key({ pageUp: true }))).toBeUndefined();
  });

  test('the player handler', () => {
    expect(viewActionOf('', key({ escape: true }))).toBe('close');
    expect(viewActionOf('', key({ pageDown: true }))).toBe('forwardMore');
    expect(viewActionOf('l', key())).toBe('forward');
    expect(viewActionOf('\r', key({ return: true }))).toBeUndefined();
  });

  test('status lines', () => {
    expect(statusKeys(BINDINGS, 'setup')).toBe('Enter start ↑↓ workload ←→ strategy +/- conc [] dur c compare ? help q quit');
    expect(statusKeys(BINDINGS, 'live')).toBe('x stop p pause Enter restart Esc setup c compare d dash ? help q quit');
    expect(statusKeys(BINDINGS, 'top')).toBe('p pause d dashboard ? help q quit');
    expect(statusKeys(VIEW_BINDINGS, 'view')).toBe('space pause ←→ seek +/- speed d dash ? help q quit');
    expect(statusKeys(VIEW_BINDINGS, 'view-compare')).toBe('d dash ? help q quit');
  });
});
