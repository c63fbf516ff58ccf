// How deeply a parsed JSON value nests, measured without recursion. ajv's
// generated validators and the semantic checks recurse into the document, so
// a file of 5000 nested arrays overflowed the call stack (an internal error)
// before any message could name it; this scan runs first and stops at the
// limit.

/** A workload nests 5 levels (/steps/0/len/header/step); 64 leaves room and stays far from any stack limit. */
export const MAX_JSON_DEPTH = 64;

/** The JSON pointer of the first value deeper than `limit`, or undefined if there is none. */
export function tooDeep(root: unknown, limit = MAX_JSON_DEPTH): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: '', depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limit) return path;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    // pushed in reverse so the first offending value in document order is found first
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, v] = entries[i];
      stack.push({ value: v, path: `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth: depth + 1 });
    }
  }
  return undefined;
}

/** A pointer 64 levels deep is long: its start and its end say enough. */
export function shortPointer(pointer: string): string {
  return pointer.length > 60 ? `${pointer.slice(0, 28)}...${pointer.slice(-28)}` : pointer;
}
