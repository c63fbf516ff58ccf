// The few blessed-contrib calls tui/dashboard.ts makes; the package ships no types.
declare module 'blessed-contrib' {
  import type { Widgets } from 'blessed';
  type Opts = Record<string, unknown>;
  interface Widget extends Widgets.BoxElement {
    setData(data: unknown): void;
    setPercent?(p: number): void;
    log?(line: string): void;
  }
  interface Grid {
    set(row: number, col: number, rowSpan: number, colSpan: number, ctor: unknown, opts: Opts): Widget;
  }
  const contrib: {
    grid: new (o: { rows: number; cols: number; screen: Widgets.Screen }) => Grid;
    line: unknown;
    bar: unknown;
    gauge: unknown;
    table: unknown;
    log: unknown;
  };
  export default contrib;
}
