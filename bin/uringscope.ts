#!/usr/bin/env node
// Entry point: every error a user can act on is one line and an exit code;
// anything else is a bug and says so, still without a stack trace unless
// URINGSCOPE_DEBUG is set.
import { EXIT_SOFTWARE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { exitQuietlyOnEpipe } from '../cli/epipe.js';
import { printable } from '../core/printable.js';
import { checkFdLimit, fdLimitError } from '../cli/fd-limit.js';

function report(e: unknown): never {
  e = fdLimitError(e) ?? e;
  if (e instanceof UserError) {
    process.stderr.write(`uringscope: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  const msg = printable(e instanceof Error ? e.message : String(e));
  process.stderr.write(`uringscope: internal error: ${msg} (set URINGSCOPE_DEBUG=1 for the stack)\n`);
  if (process.env.URINGSCOPE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(EXIT_SOFTWARE);
}

process.on('uncaughtException', report);
process.on('unhandledRejection', report);
exitQuietlyOnEpipe();
// Before the commands' modules are loaded: under too low a limit, loading them fails on its own terms.
const low = checkFdLimit();
if (low) report(low);

// Loaded after the check above: a static import is loaded before any line here runs.
const { main } = await import('../cli/main.js');
main().catch(report);
