// The dashboard's log feed: every new store entry once, in-place updates when
// their text changes, and still new lines after the store's log is full.
import { LogFeed } from '../../tui/log-feed.js';
import type { LogEntry } from '../../tui/store.js';

const entry = (t: number, text: string, key?: string): LogEntry => ({ t, level: 'info', text, ...(key ? { key } : {}) });

describe('LogFeed', () => {
  test('new entries once; a keyed line again only when its text changed', () => {
    const f = new LogFeed();
    const a = entry(0.5, 'first cancellation');
    const k1 = entry(1, '… 5 more policy events not logged', 'more');
    expect(f.next([a, k1])).toEqual(['0.5s first cancellation', '1.0s … 5 more policy events not logged']);
    expect(f.next([a, k1])).toEqual([]);
    const k2 = { ...k1, text: '… 9 more policy events not logged' };
    expect(f.next([a, k2])).toEqual(['1.0s … 9 more policy events not logged']);
    expect(f.next([a, { ...k2 }])).toEqual([]); // a new object, same text
  });

  test('keeps feeding after the store log is full and drops its oldest entries', () => {
    const f = new LogFeed();
    let log = Array.from({ length: 200 }, (_, i) => entry(i, `e${i}`));
    expect(f.next(log)).toHaveLength(200);
    log = [...log.slice(1), entry(200, 'e200')]; // the store's cap: the oldest goes
    expect(f.next(log)).toEqual(['200.0s e200']);
    log = [...log.slice(2), entry(201, 'e201'), entry(202, 'e202')];
    expect(f.next(log)).toEqual(['201.0s e201', '202.0s e202']);
  });
});
