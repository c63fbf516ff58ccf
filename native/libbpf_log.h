// The one place that turns libbpf's output and errors into one line a user
// can act on, for every BPF object uringscope loads: the tracer (addon,
// native/tracer_session.cc), the chain policies and the interpreter
// (engine, native/engine/bpf_object.cc). It tells apart, truthfully:
//   - a verifier refusal (the kernel checked the program and said no: the
//     program, the kernel release, the verifier's complaint and the source
//     line it points at, from BTF line info "; <source> @ <file>:<line>");
//   - missing privileges (EPERM/EACCES without CAP_BPF + CAP_PERFMON);
//   - a missing kernel feature (a hook, a map type, a helper);
//   - anything else, with how to see libbpf's whole log.
#pragma once

#include <string>

namespace us {

// Captures libbpf's warnings and errors (the verifier log included) until
// endLibbpfLog(), which returns them. Outside a capture, URINGSCOPE_DEBUG=1
// sends libbpf's output to stderr.
void beginLibbpfLog();
std::string endLibbpfLog();

struct VerifierError {
  std::string program;  // the refused program, from "libbpf: prog 'NAME': ..."
  std::string message;  // the verifier's complaint, e.g. "invalid access to map value ..."
  std::string file;     // where it points: file (as compiled), line, source text
  int line = 0;
  std::string source;
};

// Parses a libbpf load log; false when it holds no verifier log.
bool parseVerifierLog(const std::string &log, VerifierError *out);

// The program libbpf names as failing in `log` ("" when none).
std::string failedProgram(const std::string &log);

// Whether this process may load tracing BPF: CAP_SYS_ADMIN, or CAP_BPF and
// CAP_PERFMON (read with capget, not guessed from the uid).
bool haveBpfPrivileges();

// "Linux <release>" of the running kernel.
std::string kernelName();

// The one-line error for a failed load of `what` (errno `err`, libbpf's log).
std::string explainLoadFailure(const std::string &what, int err, const std::string &log);

// The one-line error for a failed open of `what` (errno `err`, libbpf's
// log): a policy whose entry point is missing or that calls a function
// nothing defines is named by that symbol.
std::string explainOpenFailure(const std::string &what, int err, const std::string &log);

// "<what>: <reason>. <how to fix>" for a libbpf error outside a load
// (open, attach, map update).
std::string explainBpfError(const std::string &what, int err);

}  // namespace us
