// Colours chosen to read on dark and light terminals alike: the eight named
// ANSI colours (the terminal's palette decides the exact shade) and dim, never
// white or black text. NO_COLOR (https://no-color.org) turns every colour off.
export interface Theme {
  accent?: string;
  good?: string;
  warn?: string;
  bad?: string;
  /** Greyed-out / secondary text uses ink's dimColor, which NO_COLOR keeps (it is not a colour). */
  dim: boolean;
}

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return { dim: true };
  return { accent: 'cyan', good: 'green', warn: 'yellow', bad: 'red', dim: true };
}
