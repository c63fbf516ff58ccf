// Strategy `user` with a C policy (--policy): see policy_user.cc.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "engine.h"

std::string runPolicyUser(const EnginePlan &plan, const std::vector<int> &fds, std::atomic<bool> &stop,
                          ProgressSink *sink, EngineStats *out);
