// The verifier's refusal of a policy, made readable: libbpf's output is
// captured while an object loads, and the error becomes one line with the
// verifier's complaint and the policy source line it points at (the log
// annotates instructions with "; <source> @ <file>:<line>" from BTF).
#pragma once

#include <string>

void beginVerifierLog();
std::string endVerifierLog();

struct VerifierError {
  std::string message;  // the verifier's complaint, e.g. "invalid access to map value ..."
  std::string file;     // where it points: file (as compiled), line, source text
  int line = 0;
  std::string source;
};

// Parses a libbpf load log; false when it holds no verifier log.
bool parseVerifierLog(const std::string &log, VerifierError *out);

// The one-line error for a failed load of `what` (errno `err`).
std::string explainLoadFailure(const std::string &what, int err, const std::string &log);
