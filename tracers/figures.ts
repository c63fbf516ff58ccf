// Which of the summary's figures the tracer gives on this kernel, from its
// hook plan (native/tracer_hooks.cc: one program per hook and kernel shape).
// A figure fed by two hooks (latency: submit and complete) is measured only
// when both run. Used by doctor (per figure) and by every summary (absent).
import type { NativeTracerHook } from '../native/index.js';

/** One tracer figure on this kernel: measured, by which programs, or why not. */
export interface FigureStatus {
  measured: boolean;
  programs: string[];
  reason?: string;
}

/** Figure -> status. */
export function figureStatus(hooks: readonly NativeTracerHook[]): Record<string, FigureStatus> {
  const groupOn = new Map<string, boolean>();
  for (const h of hooks) groupOn.set(h.group, (groupOn.get(h.group) ?? false) || h.on);
  const out: Record<string, FigureStatus> = {};
  for (const h of hooks) {
    for (const name of h.figures) {
      const f = (out[name] ??= { measured: true, programs: [] });
      if (h.on) f.programs.push(h.program);
      if (!groupOn.get(h.group)) {
        f.measured = false;
        f.reason ??= h.reason ?? `no ${h.tracepoint} on this kernel`;
      }
    }
  }
  for (const f of Object.values(out)) if (!f.measured) f.programs = [];
  return out;
}

/** Figure -> reason, for the figures this kernel cannot give (the summaries' "absent"). */
export function absentFigures(hooks: readonly NativeTracerHook[]): Record<string, string> {
  const out: Record<string, string> = {};
  const all = Object.entries(figureStatus(hooks)).sort(([a], [b]) => a.localeCompare(b));
  for (const [name, f] of all) if (!f.measured) out[name] = f.reason!;
  return out;
}
