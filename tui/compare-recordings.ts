// `uringscope view A B`: two recordings into the store as two ended runs, for
// the compare view. Each is its whole-run summary taken as one interval (so
// rates are whole-run averages and the engine's bytes give bytes/s) and then
// as the end, exactly the calls a live run makes; no IO here.
import type { Timeline } from '../recording/timeline.js';
import { engineProgressOf } from '../recording/timeline.js';
import type { Store } from './store.js';

export function showRecordings(store: Store, timelines: readonly Timeline[]): void {
  store.batch(() => {
    timelines.forEach((t, i) => {
      const id = store.begin({ label: t.label, workload: t.workload, strategy: t.strategy, stepsPerChain: t.stepsPerChain, source: t.path }, i === 0);
      store.started(id);
      const engine = engineProgressOf(t.summary);
      if (engine) store.progress(id, engine);
      store.interval(id, t.summary, t.steps.at(-1)?.snapshot, t.header.opNames);
      if (t.info.damage) store.note('error', `${t.path}: recording cut: ${t.info.damage.message}`);
      store.end(id, { note: t.end ? 'whole recording' : 'recording cut: up to the break', final: t.summary, error: t.end?.error });
    });
  });
}
