#include "replay_table.h"

#include <fstream>

extern "C" {
#include "chain.h"  // enum us_op
}

bool replayOpUsesFd(uint8_t op) {
  return op == US_OP_READ || op == US_OP_WRITE || op == US_OP_READV || op == US_OP_WRITEV || op == US_OP_FSYNC;
}

namespace {

// The ops a replay issues (bpf/chain.h): sockets, polls, openat and close
// have no replay target and are filtered out before the table is written.
bool replayable(uint8_t op) { return op == US_OP_NOP || op == US_OP_TIMEOUT || replayOpUsesFd(op); }

std::string at(size_t i, const std::string &what) { return "replay record " + std::to_string(i) + ": " + what; }

}  // namespace

std::string loadReplayTable(const std::string &path, ReplayTable *t) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return "cannot read the replay table " + path;
  std::streamoff size = f.tellg();
  if (size <= 0 || size % US_REPLAY_REQ_SIZE) {
    return "replay table " + path + ": " + std::to_string(size) + " bytes is not a whole number of " +
           std::to_string(US_REPLAY_REQ_SIZE) + "-byte records";
  }
  t->reqs.resize(size_t(size) / US_REPLAY_REQ_SIZE);
  f.seekg(0);
  if (!f.read(reinterpret_cast<char *>(t->reqs.data()), size)) return "cannot read the replay table " + path;

  uint32_t group = 0;
  for (size_t i = 0; i < t->reqs.size(); i++) {
    const us_replay_req &r = t->reqs[i];
    if (!replayable(r.op)) return at(i, "op " + std::to_string(r.op) + " cannot be replayed");
    bool next = t->chains.empty() || r.chain != t->chains.size() - 1;
    if (next) {
      if (r.chain != t->chains.size()) return at(i, "chain " + std::to_string(r.chain) + " out of order");
      if (!t->chains.empty() && r.start_ns < t->chains.back().startNs) return at(i, "chain starts go backwards");
      t->chains.push_back({uint32_t(i), 0, r.start_ns});
      group = 0;
    } else if (r.start_ns != t->chains.back().startNs) {
      return at(i, "start_ns differs within chain " + std::to_string(r.chain));
    }
    t->chains.back().count++;
    // A link group ends at the first record without a link flag.
    group++;
    if (group > t->maxGroup) t->maxGroup = group;
    if (!(r.flags & (US_RP_LINK | US_RP_HARDLINK))) group = 0;
  }
  return "";
}
