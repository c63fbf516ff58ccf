// Setup: the workload picker, the strategy selector (greyed with the reason
// when this kernel or these privileges forbid one) and the run controls.
import { Box, Text } from 'ink';
import type { RunConfig, Strategies, WorkloadItem } from '../controller.js';
import { policyApplies, STRATEGIES } from '../controller.js';
import { policyLabel } from '../policy-stats.js';
import { pad } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

export function WorkloadPicker({ items, selected, width, rows }: { items: WorkloadItem[]; selected: number; width: number; rows: number }) {
  const t = useTheme();
  // Keep the selection in view when the list is longer than the rows we have.
  const first = Math.max(0, Math.min(selected - Math.floor(rows / 2), items.length - rows));
  const shown = items.slice(first, first + rows);
  return (
    <Section title="Workload" right={`${items.length} (↑↓)`} width={width}>
      {shown.map((w, i) => {
        const on = first + i === selected;
        return (
          <Text key={w.name} wrap="truncate" inverse={on} dimColor={t.dim && !!w.error}>
            {on ? '>' : ' '} {pad(w.name, 12)} {w.error ? `unusable: ${w.error}` : w.description}
          </Text>
        );
      })}
    </Section>
  );
}

export function StrategySelector({ strategies, selected, width }: { strategies: Strategies; selected: RunConfig['strategy']; width: number }) {
  const t = useTheme();
  return (
    <Section title="Strategy" right="(←→ 1 2 3)" width={width}>
      {STRATEGIES.map((s) => {
        const st = strategies[s];
        const on = s === selected;
        return (
          <Box key={s} flexDirection="column">
            <Text wrap="truncate" dimColor={t.dim && !st.ok}>
              <Text inverse={on}>{on ? '>' : ' '} {s}</Text>
              {st.ok ? '' : ' (unavailable)'}
            </Text>
            {st.ok ? null : <Text dimColor={t.dim} wrap="wrap">{`    ${st.reason ?? 'not supported here'}`}</Text>}
          </Box>
        );
      })}
    </Section>
  );
}

/** The policy line: which C policy decides, or why it does not under link. */
function PolicyChoice({ cfg }: { cfg: RunConfig }) {
  const t = useTheme();
  if (!cfg.policy) return <Text wrap="truncate">policy none <Text dimColor={t.dim}>(o)</Text></Text>;
  const name = policyLabel(cfg.policy);
  if (!policyApplies(cfg)) {
    return (
      <Text wrap="wrap" color={t.warn}>
        policy {name}: not under link (kernel links decide) <Text dimColor={t.dim}>(o)</Text>
      </Text>
    );
  }
  return <Text wrap="truncate">policy {name} <Text dimColor={t.dim}>(o)</Text></Text>;
}

export function RunControls({ cfg, width }: { cfg: RunConfig; width: number }) {
  const t = useTheme();
  return (
    <Section title="Run" width={width}>
      <PolicyChoice cfg={cfg} />
      <Text wrap="truncate">concurrency {cfg.concurrency} <Text dimColor={t.dim}>(+/-)</Text></Text>
      <Text wrap="truncate">
        duration {cfg.durationS > 0 ? `${cfg.durationS}s` : 'workload chains'} <Text dimColor={t.dim}>([ ])</Text>
      </Text>
      <Text wrap="truncate" color={t.good}>Enter start · c compare link/user · Tab panels</Text>
    </Section>
  );
}

export function SetupScreen(props: { items: WorkloadItem[]; selected: number; strategies: Strategies; cfg: RunConfig; width: number; rows: number }) {
  const right = Math.min(52, Math.floor(props.width / 2));
  const left = props.width - right;
  return (
    <Box flexDirection="row">
      <WorkloadPicker items={props.items} selected={props.selected} width={left} rows={Math.max(3, props.rows - 1)} />
      <Box flexDirection="column" width={right}>
        <StrategySelector strategies={props.strategies} selected={props.cfg.strategy} width={right} />
        <Text> </Text>
        <RunControls cfg={props.cfg} width={right} />
      </Box>
    </Box>
  );
}
