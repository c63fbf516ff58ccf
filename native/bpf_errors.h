// Turns libbpf's negative errno results into one line a user can act on, and
// keeps libbpf's own log (verifier output included) for the detail.
#pragma once

#include <string>

namespace us {

// Installs a libbpf print callback that keeps the last warning/error lines.
void captureLibbpfLog();
// The last lines libbpf printed (cleared on read).
std::string takeLibbpfLog();
// The line of a libbpf log that says why a program was refused: the
// failing program and the verifier's last message before the log ends.
std::string firstVerifierError(const std::string &log);
// "<what>: <reason>. <how to fix>" for a libbpf error code.
std::string explainBpfError(const std::string &what, int err);

}  // namespace us
