// Upstream io_uring bpf-ops (7.1+): an application's own loop_step drives its
// ring, and the tracer sees it from outside, in trace, record and serve.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Check, Checks, Context } from './context.js';
import { expectEq, summaryOf } from './expect.js';
import { loopStepPrograms, noProgramsWithin, ourPrograms } from './programs.js';

const present = (ctx: Context) => ctx.bpfOps;

const traced: Check = {
  name: 'bpf-ops: an application ring driven by its own loop_step, traced from outside',
  when: present,
  async run({ root, uringscope }) {
    const n = 2000;
    // Held 1 s after its loop, as a long-running application: the tracer finds its program meanwhile.
    const r = await uringscope(['trace', '--json', '--interval', '200', '--', join(root, 'build/helpers/uring_ops'), String(n), '1000']);
    expectEq('exit status', r.code, 0);
    const s = summaryOf(r.stdout);
    expectEq('NOP submitted/completed', [s.requests.NOP?.submitted, s.requests.NOP?.completed], [n, n]);
    expectEq('io_uring_enter calls', s.enter.calls, 1);
    // The tracer's bpf-ops hooks: the NOPs came from the program, one loop run that stopped.
    const steps = Number(/steps=(\d+)/.exec(r.stdout + r.stderr)?.[1]);
    const o = s.bpfOps!;
    expectEq('bpfOps', { ...o, runNs: o.runNs > 0, programs: o.programs.map((p) => p.name) },
      { rings: 1, loopSteps: steps, loopRuns: 1, stops: 1, errors: 0, sqesFromBpf: n, sqesFromUser: 0, runNs: true, programs: ['loop_step'] });
    await noProgramsWithin(10_000, () => ourPrograms().concat(loopStepPrograms()));
    return `${n} NOPs from loop_step (bpfOps.sqesFromBpf), ${steps} loop steps, ${(o.runNs / steps).toFixed(0)} ns/step in BPF, 1 io_uring_enter, detached at exit`;
  },
};

const shortLived: Check = {
  name: 'bpf-ops: a program gone within a second still has its loop steps and name',
  when: present,
  async run({ root, uringscope }) {
    const n = 1000;
    // No hold: the process and its program are gone before any interval could read them.
    const r = await uringscope(['trace', '--json', '--', join(root, 'build/helpers/uring_ops'), String(n), '0']);
    expectEq('exit status', r.code, 0);
    const s = summaryOf(r.stdout);
    const steps = Number(/steps=(\d+)/.exec(r.stdout + r.stderr)?.[1]);
    const o = s.bpfOps!;
    expectEq('bpfOps', { loopSteps: o.loopSteps, sqesFromBpf: o.sqesFromBpf, runNs: o.runNs > 0, programs: o.programs.map((p) => p.name) },
      { loopSteps: steps, sqesFromBpf: n, runNs: true, programs: ['loop_step'] });
    return `${steps} loop steps, ${n} SQEs from BPF, program loop_step named, after its process exited`;
  },
};

const recorded: Check = {
  name: 'bpf-ops: recorded, then reported and exported with its bpfOps',
  when: present,
  async run({ root, scratch, uringscope }) {
    const rec = join(scratch, 'ops.usrec');
    const r = await uringscope(['record', '-o', rec, '--force', '--interval', '200', '--', join(root, 'build/helpers/uring_ops'), '2000', '1000']);
    expectEq('record exit status', r.code, 0);
    const rep = await uringscope(['report', rec]);
    const line = rep.stdout.split('\n').find((l) => l.includes('bpf-ops ('));
    if (!line || !/2000, from userspace 0/.test(line)) throw new Error(`report: ${line ?? 'no bpf-ops line'}`);
    const exp = await uringscope(['export', rec, '--format', 'json']);
    const last = summaryOf(exp.stdout);
    expectEq('exported summary bpfOps.sqesFromBpf', last.bpfOps?.sqesFromBpf, 2000);
    return line.trim().replace(/\s+/g, ' ').slice(0, 90);
  },
};

const served: Check = {
  name: 'serve: a bpf-ops ring\'s loop steps and SQEs from BPF in /metrics',
  when: present,
  async run({ root, cli }) {
    const port = 19465;
    const serve = spawn(process.execPath, [cli, 'serve', '--comm', 'uring_ops', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'], cwd: root });
    try {
      const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text());
      const ready = () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.status === 200, () => false);
      for (const t0 = Date.now(); !(await ready()); ) {
        if (Date.now() - t0 > 60_000) throw new Error('serve not up after 60 s');
        await new Promise((res) => setTimeout(res, 300));
      }
      const n = 1000;
      const app = spawn(join(root, 'build/helpers/uring_ops'), [String(n), '3000'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      app.stdout.on('data', (d) => (out += d));
      let running = true;
      const ended = new Promise((res) => app.on('close', res)).then(() => (running = false));
      // Scraped while it holds after its loop (3 s): serve finds its program then, and the loop is over.
      const value = (body: string, name: string) => Number(body.split('\n').find((l) => l.startsWith(`${name}{`))?.split(' ').pop());
      let body = '';
      while (running) {
        const b = await get('/metrics');
        if (value(b, 'uringscope_bpf_ops_loop_steps_total') > 0) body = b;
        await new Promise((res) => setTimeout(res, 300));
      }
      await ended;
      const steps = Number(/steps=(\d+)/.exec(out)?.[1]);
      expectEq('loop steps, SQEs from BPF', [value(body, 'uringscope_bpf_ops_loop_steps_total'), value(body, 'uringscope_bpf_ops_sqes_total')], [steps, n]);
      return `${steps} loop steps, ${n} SQEs from BPF`;
    } finally {
      serve.kill('SIGKILL');
    }
  },
};

export const bpfOpsChecks: Checks = () => [traced, shortLived, recorded, served];
