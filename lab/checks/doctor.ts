// The first check, always run: doctor on this kernel. What it reports decides
// which of the other checks run (see context.ts), even when it fails.
import type { DoctorReport } from '../../tracers/doctor.js';
import type { Lab } from './context.js';
import { expectEq } from './expect.js';

/** Runs doctor; `found` gets its report before the report is judged. */
export async function doctor(l: Lab, found: (report: DoctorReport) => void): Promise<string> {
  const r = await l.uringscope(['doctor', '--json']);
  const doctor = JSON.parse(r.stdout) as DoctorReport;
  found(doctor);
  const tracer = doctor.checks.find((c) => c.id === 'tracer');
  if (tracer?.status !== 'ok') throw new Error(`tracer: ${tracer?.detail ?? 'not checked'}`);
  if (!doctor.strategies.link.ok || !doctor.strategies.user.ok) throw new Error(`link/user: ${doctor.strategies.link.reason}`);
  // doctor's exit status says whether every strategy can run.
  expectEq('doctor exit status', r.code, doctor.ok ? 0 : 1);
  const absent = Object.entries(doctor.figures ?? {}).filter(([, f]) => !f.measured).map(([n]) => n);
  return `bpf ${doctor.strategies.bpf.ok ? `via ${doctor.strategies.bpf.path}` : `refused (${doctor.strategies.bpf.reason})`}` +
    (absent.length ? `; not measured: ${absent.join(', ')}` : '; every figure measured');
}
