// Strategy `bpf`: runs the plan with the chain policy in the kernel.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "engine.h"

// Returns "" or a one-line setup error.
std::string runBpfStrategy(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                           ProgressSink *sink, EngineStats *out);

// Loads a C policy's BPF build through the verifier without running it (the
// `user` strategy runs its native build only once the verifier accepted it).
std::string verifyPolicy(const EnginePlan &plan, const std::vector<int> &fds);
