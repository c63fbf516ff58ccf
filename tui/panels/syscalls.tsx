// Syscalls: io_uring_enter calls, per chain step (engine runs: what each
// strategy pays per step) or per completed request (any process).
import { Text } from 'ink';
import type { RunState } from '../store.js';
import { fmtCount, fmtNs, ratio } from '../format.js';
import { Section } from './section.js';

/** Strategy bpf: what the in-kernel policy did (its map counters), live. A C policy's own counters are in the Policy panel. */
function PolicyLine({ policy }: { policy: Record<string, number> }) {
  return (
    <Text wrap="truncate">
      bpf: {fmtCount(policy.stepsIssued ?? 0)} steps in-kernel  parks {fmtCount(policy.sqFullParks ?? 0)}  wake {fmtCount(policy.wakeups ?? 0)}
    </Text>
  );
}

/** A ring driven by io_uring bpf-ops (7.1+): its program's steps, their BPF time, the SQEs it submitted. */
function BpfOpsLine({ o }: { o: NonNullable<RunState['totals']['bpfOps']> }) {
  return (
    <>
      <Text wrap="truncate">bpf-ops {o.programs.join(', ') || '?'}: {fmtCount(o.loopSteps)} steps, {o.loopSteps ? fmtNs(o.runNs / o.loopSteps) : '-'}/step</Text>
      <Text wrap="truncate">  SQEs from BPF {fmtCount(o.sqesFromBpf)}  stops {fmtCount(o.stops)}  errors {fmtCount(o.errors)}</Text>
    </>
  );
}

export function SyscallsPanel({ run, width }: { run: RunState; width: number }) {
  const x = run.totals;
  const steps = run.engine?.steps;
  const per = steps !== undefined ? `per step ${ratio(x.enterCalls, steps)}` : `per request ${ratio(x.enterCalls, x.completed)}`;
  const last = run.last;
  const rate = last && last.durationNs > 0 ? fmtCount(Math.round(last.enter.calls / (last.durationNs / 1e9))) : '-';
  return (
    <Section title="Syscalls" width={width}>
      <Text wrap="truncate">io_uring_enter {fmtCount(x.enterCalls)}  ({rate}/s)</Text>
      <Text wrap="truncate">{per}  reqs/enter {ratio(x.toSubmit, x.enterCalls)}</Text>
      {run.engine?.policy?.stepsIssued !== undefined ? <PolicyLine policy={run.engine.policy} /> : null}
      {x.bpfOps ? <BpfOpsLine o={x.bpfOps} /> : null}
    </Section>
  );
}
