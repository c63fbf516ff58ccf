// What is wrong with a workload file, and where: one line the user can act on.

export interface Problem {
  /** JSON pointer into the workload ("" for the whole document). */
  path: string;
  message: string;
}

/** `x.json: /steps/1/op: must be ...`, or `x.json: must be ...` for the whole document. */
export function formatProblem(source: string, p: Problem): string {
  return p.path ? `${source}: ${p.path}: ${p.message}` : `${source}: ${p.message}`;
}

/** A value as it appears in a message: JSON, cut short. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value); // JSON.stringify gives "null"
  const s = JSON.stringify(value);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
};

/** `ENOENT (no such file)` for a failed fs call; the code alone when we have no gloss. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code) return err instanceof Error ? err.message : String(err);
  return FS_REASONS[code] ? `${code} (${FS_REASONS[code]})` : code;
}
