// Strategy `bpf`: runs the plan with the chain policy in the kernel.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "engine.h"

// Returns "" or a one-line setup error.
std::string runBpfStrategy(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                           ProgressSink *sink, EngineStats *out);
