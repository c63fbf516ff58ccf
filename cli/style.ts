// Colour for terminal output through picocolors, which already honours
// NO_COLOR / FORCE_COLOR and turns itself off when stdout is not a TTY.
import pc from 'picocolors';

export type Colour = 'green' | 'yellow' | 'red' | 'dim' | 'bold';

export function paint(c: Colour, s: string): string {
  return pc[c](s);
}
