#include "tracer_hooks.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "libbpf_log.h"
#include "kernel_btf.h"

namespace us {
namespace {

using Args = std::vector<std::string>;
using Fits = std::function<bool(const Args &)>;

bool any(const Args &) { return true; }

struct Known {
  const char *program;
  const char *group;
  std::vector<std::string> figures;
  Fits fits;          // given the tracepoint's arguments (without the leading void *)
  const char *shape;  // what the variant expects, for the reason when none fits
};

// Every program of bpf/tracer.bpf.c. Variants of a group are listed in order
// of preference; test/tracer-variants.test.ts checks that this table and the
// object agree.
const std::vector<Known> &known() {
  static const std::vector<Known> table = {
      {"on_create", "create", {"rings"}, any, ""},
      {"on_submit_req", "submit", {"submitted", "latency"}, any, "io_uring_submit_req(req)"},
      {"on_submit_sqe", "submit", {"submitted", "latency"}, any, "io_uring_submit_sqe(req, force_nonblock)"},
      {"on_complete", "complete", {"completed", "latency"},
       [](const Args &a) { return completeTakesCqe(a); },
       "io_uring_complete(ctx, req, cqe)"},
      {"on_complete_args", "complete", {"completed", "latency"},
       [](const Args &a) { return completeTakesFields(a); },
       "io_uring_complete(ctx, req, user_data, res, cflags, ...)"},
      {"on_fail_link", "fail_link", {"failLinks"}, any, ""},
      {"on_req_failed", "req_failed", {"reqFailed"}, any, ""},
      {"on_cqe_overflow", "cqe_overflow", {"cqOverflows"}, any, ""},
      {"on_queue_async_work", "queue_async_work", {"asyncPunts"}, any, ""},
      {"on_poll_arm", "poll_arm", {"pollArms"}, any, ""},
      {"on_task_add", "task_add", {"taskWork"}, any, ""},
      {"on_task_work_run", "task_work_run", {"taskWork"}, any, ""},
      {"on_local_work_run", "local_work_run", {"taskWork"}, any, ""},
      {"on_sched_switch", "sched_switch", {"ctxSwitches"},
       [](const Args &a) { return a.size() >= 4; }, "sched_switch(preempt, prev, next, prev_state)"},
      {"on_fork", "fork", {"followForks"}, any, ""},
      {"on_exec", "exec", {"commTargets"}, any, ""},
      {"on_process_exit", "process_exit", {"exitedProcesses"}, any, ""},
      {"on_sys_enter", "sys_enter", {"enter"}, any, ""},
      {"on_sys_exit", "sys_exit", {"enter", "waits"}, any, ""},
      {"on_cqring_wait", "cqring_wait", {"waits"}, any, ""},
      // Upstream io_uring bpf-ops (7.1+): kernel functions, not tracepoints.
      // trace --anatomy only: each request's path and phases (kernel functions and the block layer).
      {"on_submit_batch", "submit_batch", {"paths"}, [](const Args &a) { return a.size() == 2; }, "io_submit_sqes(ctx, nr)"},
      {"on_submit_batch_end", "submit_batch_end", {"paths"}, [](const Args &a) { return a.size() == 2; }, "io_submit_sqes(ctx, nr)"},
      {"on_issue", "issue", {"paths", "phases"}, [](const Args &a) { return a.size() == 2; }, "io_issue_sqe(req, issue_flags)"},
      {"on_issue_end", "issue_end", {"paths", "phases"}, [](const Args &a) { return a.size() == 2; }, "io_issue_sqe(req, issue_flags)"},
      {"on_bio_queue", "bio_queue", {"paths", "phases"}, any, "block_bio_queue(bio)"},
      {"on_wq_start", "wq_start", {"phases"}, [](const Args &a) { return a.size() == 1; }, "io_wq_submit_work(work)"},
      {"on_wq_end", "wq_end", {"phases"}, [](const Args &a) { return a.size() == 1; }, "io_wq_submit_work(work)"},
      {"on_rq_issue", "rq_issue", {"phases"}, [](const Args &a) { return !a.empty(); }, "block_rq_issue(rq)"},
      {"on_rq_complete", "rq_complete", {"phases"}, [](const Args &a) { return !a.empty(); }, "block_rq_complete(rq, error, nr_bytes)"},
      {"on_ops_loop_start", "ops_loop_start", {"bpfOps"}, [](const Args &a) { return a.size() == 1; }, "io_run_loop(ctx)"},
      {"on_ops_loop", "ops_loop", {"bpfOps"}, [](const Args &a) { return a.size() == 1; }, "io_run_loop(ctx)"},
      {"on_ops_submit", "ops_submit", {"bpfOps"}, [](const Args &a) { return a.size() == 2; }, "bpf_io_uring_submit_sqes(ctx, nr)"},
  };
  return table;
}

std::string join(const Args &a) {
  std::string s;
  for (auto &x : a) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

bool anatomyHook(const std::string &program) {
  auto k = std::find_if(known().begin(), known().end(), [&](const Known &x) { return program == x.program; });
  return k != known().end() && std::all_of(k->figures.begin(), k->figures.end(), [](const std::string &f) {
           return f == "paths" || f == "phases";
         });
}

std::vector<TracerHook> planTracerHooks(bpf_object *obj, const std::string &forced, bool anatomy) {
  std::vector<TracerHook> plan;
  bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    TracerHook h;
    h.program = bpf_program__name(p);
    const char *sec = bpf_program__section_name(p);
    h.tracepoint = sec && strncmp(sec, "tp_btf/", 7) == 0 ? sec + 7 : (sec ? sec : "");
    for (const char *kind : {"fentry/", "fexit/"}) {
      if (sec && strncmp(sec, kind, strlen(kind)) == 0) {
        h.function = true;
        h.tracepoint = sec + strlen(kind);
      }
    }
    auto k = std::find_if(known().begin(), known().end(), [&](const Known &x) { return h.program == x.program; });
    h.group = k != known().end() ? k->group : h.program;
    h.figures = k != known().end() ? k->figures : std::vector<std::string>{h.program};
    plan.push_back(h);
  }
  // Per group, the first variant that fits this kernel (or the forced one).
  std::map<std::string, bool> taken;
  for (auto &h : plan) {
    auto k = std::find_if(known().begin(), known().end(), [&](const Known &x) { return h.program == x.program; });
    auto args = h.function ? functionArgs(h.tracepoint) : tracepointArgs(h.tracepoint);
    bool forcedHere = !forced.empty() && h.program == forced;
    bool groupForced = !forced.empty() && std::any_of(plan.begin(), plan.end(), [&](const TracerHook &o) {
      return o.group == h.group && o.program == forced;
    });
    if (groupForced) {
      h.on = forcedHere;
      if (!forcedHere) h.reason = "variant " + forced + " forced by URINGSCOPE_TRACER_VARIANT";
      continue;
    }
    if (taken[h.group]) {
      h.reason = "another variant runs";
      continue;
    }
    if (!anatomy && anatomyHook(h.program)) {
      // Not asked for: nothing missing.
      h.figures.clear();
      continue;
    }
    const btf *kb = kernelBtf();
    bool opsHook = std::find(h.figures.begin(), h.figures.end(), "bpfOps") != h.figures.end();
    if (!args && opsHook && !(kb && btf__find_by_name_kind(kb, "io_uring_bpf_ops", BTF_KIND_STRUCT) > 0)) {
      // A kernel without bpf-ops has no such rings: nothing to measure, nothing missing.
      h.reason = kernelName() + " has no io_uring bpf-ops (7.1+)";
      h.figures.clear();
      continue;
    }
    if (!args) {
      h.reason = (h.function ? "no function " : "no tracepoint ") + h.tracepoint + " on " + kernelName();
      continue;
    }
    if (k != known().end() && !k->fits(*args)) {
      h.reason = kernelName() + " has " + h.tracepoint + "(" + join(*args) + "), not " + k->shape;
      continue;
    }
    h.on = true;
    taken[h.group] = true;
  }
  // A group none of whose variants fit says why for each.
  for (auto &h : plan) {
    if (h.on || taken[h.group] || h.figures.empty()) continue;
    std::string all;
    for (auto &o : plan)
      if (o.group == h.group && !o.reason.empty() && all.find(o.reason) == std::string::npos)
        all += (all.empty() ? "" : "; ") + o.reason;
    h.reason = all;
  }
  return plan;
}

void applyTracerHooks(bpf_object *obj, const std::vector<TracerHook> &plan) {
  for (auto &h : plan) {
    bpf_program *p = bpf_object__find_program_by_name(obj, h.program.c_str());
    if (p) bpf_program__set_autoload(p, h.on);
  }
}

void disableTracerGroup(std::vector<TracerHook> &plan, const std::string &program, const std::string &reason) {
  std::string group;
  for (auto &h : plan)
    if (h.program == program) group = h.group;
  for (auto &h : plan) {
    if (h.group != group) continue;
    h.on = false;
    h.reason = reason;
  }
}

}  // namespace us
