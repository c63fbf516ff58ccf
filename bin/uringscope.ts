#!/usr/bin/env node
// Entry point: every error a user can act on is one line and an exit code;
// anything else is a bug and says so, still without a stack trace unless
// URINGSCOPE_DEBUG is set.
import { UserError } from '../tracers/errors.js';
import { exitQuietlyOnEpipe } from '../cli/epipe.js';
import { printable } from '../tracers/printable.js';

function report(e: unknown): never {
  if (e instanceof UserError) {
    process.stderr.write(`uringscope: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  const msg = printable(e instanceof Error ? e.message : String(e));
  process.stderr.write(`uringscope: internal error: ${msg} (set URINGSCOPE_DEBUG=1 for the stack)\n`);
  if (process.env.URINGSCOPE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(70);
}

process.on('uncaughtException', report);
process.on('unhandledRejection', report);
exitQuietlyOnEpipe();

// ink decides once, when it is loaded, that a CI variable means "no live
// frames". On a real terminal the TUI must be live whatever CI says, so ink
// is loaded without it; the variable is put back for everything we start.
const ci = process.env.CI;
if (process.stdout.isTTY && process.stdin.isTTY) delete process.env.CI;
const { main } = await import('../cli/main.js');
if (ci !== undefined) process.env.CI = ci;
main().catch(report);
