// Turns the store's event log (its last entries, some updated in place) into
// the lines an append-only log widget has not shown yet (the dashboard's).
import type { LogEntry } from './store.js';

export class LogFeed {
  // Entries already seen, by identity: the store keeps only its last entries,
  // so a count of them would stall once it is full.
  private readonly shown = new WeakSet<LogEntry>();
  // Lines the store updates in place: the text last shown for each key.
  private readonly keyed = new Map<string, string>();

  /** The lines to append for this state of the log. */
  next(log: readonly LogEntry[]): string[] {
    const out: string[] = [];
    for (const e of log) {
      if (this.shown.has(e)) continue;
      this.shown.add(e);
      if (e.key && this.keyed.get(e.key) === e.text) continue;
      if (e.key) this.keyed.set(e.key, e.text);
      out.push(`${e.t.toFixed(1)}s ${e.text}`);
    }
    return out;
  }
}
