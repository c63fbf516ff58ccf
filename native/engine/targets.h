// The targets a run prepares and cleans up itself: scratch files with a
// content pattern, read-only paths, socketpairs, TCP loopback connections
// and pipes. Each becomes one fd (files) or two (a and b endpoints).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "plan.h"

struct OpenTargets {
  std::vector<int> fds;                // the run's fd table, in plan order
  std::vector<std::string> created;    // files to remove at the end
  ~OpenTargets();
  void closeAll();
};

// Opens/creates every target. Returns "" or a one-line error naming the
// target; on error nothing is left behind. Scratch files are written in 1 MiB
// pieces and the write gives up once `stop` is set (Ctrl-C during setup).
std::string openTargets(const EnginePlan &plan, OpenTargets *out, const std::atomic<bool> *stop = nullptr);

// Per fd-table entry: the path an openat step opens and its flags (files
// read-write, paths read-only; sockets have none).
void targetPaths(const EnginePlan &plan, std::vector<std::string> *paths, std::vector<int> *flags);

// FNV-1a 64 of a whole file (for checking what a run wrote).
bool fileChecksum(const std::string &path, uint64_t *sum, uint64_t *size);

// The bytes of a generated file, as the engine writes them (tests rebuild
// expectations from the same rule via the engine's own report).
void fillContent(const TargetPlan &t, std::vector<uint8_t> *out);
