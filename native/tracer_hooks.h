// Which of the tracer's programs (bpf/tracer.bpf.c) run on this kernel, and
// which figures that leaves. Hooks whose tracepoint was renamed or whose
// arguments changed have one program per shape; the running kernel's BTF
// prototype (btf_trace_<tracepoint>) picks the one that fits, the others are
// switched off with bpf_program__set_autoload. A hook with no fitting variant,
// or whose program the verifier refused, takes only its own figures away.
#pragma once

#include <string>
#include <vector>

struct bpf_object;

namespace us {

struct TracerHook {
  std::string program;     // BPF program name in bpf/tracer.bpf.c
  std::string tracepoint;  // what it attaches to (a kernel function when `function`)
  bool function = false;   // fexit on a kernel function rather than a tracepoint
  std::string group;       // variants of one hook share a group; one runs at most
  std::vector<std::string> figures;  // the summary fields it feeds
  bool on = false;
  std::string reason;      // why it is off
};

// The plan for `obj`'s programs on the running kernel. `forced` (a program
// name, from URINGSCOPE_TRACER_VARIANT) turns that variant on in its group
// whatever the BTF says: how the tests show what a wrong variant does.
// The anatomy hooks (figures "paths" and "phases") run only when `anatomy` is asked for.
std::vector<TracerHook> planTracerHooks(bpf_object *obj, const std::string &forced, bool anatomy);

// Applies the plan to `obj` (before load).
void applyTracerHooks(bpf_object *obj, const std::vector<TracerHook> &plan);

// Turns a group off after its program was refused, with the reason.
void disableTracerGroup(std::vector<TracerHook> &plan, const std::string &program, const std::string &reason);

}  // namespace us
