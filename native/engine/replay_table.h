// The replay table: a recorded request stream (bpf/replay.h records) loaded
// from the side file a plan names (`replay path=...`), checked, and indexed
// by chain so the engine finds a chain's requests without a search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "replay.h"  // bpf/replay.h: struct us_replay_req, shared with a future BPF map
}

static_assert(sizeof(us_replay_req) == US_REPLAY_REQ_SIZE, "us_replay_req must stay 32 bytes");

struct ReplayChain {
  uint32_t first = 0;    // index of its first record
  uint32_t count = 0;    // records
  uint64_t startNs = 0;  // when it starts, after the replay's start
};

struct ReplayTable {
  std::vector<us_replay_req> reqs;
  std::vector<ReplayChain> chains;
  uint32_t maxGroup = 1;  // longest recorded link group: what one kernel link must hold
};

// Reads and checks the table (record size, chain order, ops, start times).
// Returns "" or a one-line error naming the record.
std::string loadReplayTable(const std::string &path, ReplayTable *out);

// The ops that use a target fd (and so must name a valid fd-table entry).
bool replayOpUsesFd(uint8_t op);
