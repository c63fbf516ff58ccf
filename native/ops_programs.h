// The io_uring_bpf_ops programs (Linux 7.1+) that drive traced processes'
// rings, with their own statistics: run_cnt is the number of loop steps,
// run_time_ns the BPF time. Found in the processes' fd tables (a struct_ops
// program held by the process, bound to the io_uring_bpf_ops type) and held
// open here, so that their counts stay readable after the process exits.
// The kernel counts run time only while someone asks for it: statistics are
// enabled (BPF_ENABLE_STATS) from the first call until releaseOpsPrograms().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace us {

struct OpsProgram {
  uint32_t id;
  uint32_t tgid;  // the process it was found in
  std::string name;
  uint64_t runCnt;
  uint64_t runTimeNs;
};

// Looks through `pids` for new programs, then reports every one held so far.
std::vector<OpsProgram> opsPrograms(const std::vector<uint32_t> &pids);

// Closes what opsPrograms() holds and gives the statistics back.
void releaseOpsPrograms();

}  // namespace us
