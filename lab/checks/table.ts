// The kernel matrix's checks after doctor, in the order they run. Their names
// are what --resume matches a check by, so a name changes only on purpose.
import { anatomyChecks } from './anatomy.js';
import { bpfOpsChecks } from './bpf-ops.js';
import { cleanupChecks } from './cleanup.js';
import type { Check, Context } from './context.js';
import { engineOpsChecks } from './engine-ops.js';
import { engineChecks } from './engine.js';
import { policyChecks } from './policies.js';
import { tracerChecks } from './tracer.js';

const TABLE = [tracerChecks, anatomyChecks, engineChecks, policyChecks, engineOpsChecks, bpfOpsChecks, cleanupChecks];

/** The checks this kernel runs, by what doctor found there. */
export function checksFor(ctx: Context): Check[] {
  return TABLE.flatMap((checks) => checks(ctx)).filter((c) => c.when?.(ctx) ?? true);
}
