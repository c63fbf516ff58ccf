// The engine's one way to say it failed: {"type":"error","message":...} on
// stdout, the line uringscope reads (workloads/engine.ts) and prints as is.
#pragma once

#include <string>

void printError(const std::string &msg);
