// errno numbers as names (ENOENT...), for results the kernel and the engine
// give as -errno. Sign-insensitive: callers pass res or its negation.
import { constants } from 'node:os';

export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  const e = Object.entries(constants.errno).find(([, v]) => v === n);
  return e ? e[0] : `errno ${n}`;
}
