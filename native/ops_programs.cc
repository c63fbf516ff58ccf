// See ops_programs.h.
#include "ops_programs.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "kernel_btf.h"

namespace us {
namespace {

const uint32_t kProgTypeStructOps = 27;  // BPF_PROG_TYPE_STRUCT_OPS
const int kStatsRunTime = 0;             // BPF_STATS_RUN_TIME

struct Held {
  int fd;
  uint32_t tgid;
};

std::map<uint32_t, Held> &held() {
  static std::map<uint32_t, Held> m;
  return m;
}
int gStatsFd = -1;

// prog_id of every struct_ops program in pid's fd table (from /proc/PID/fdinfo).
std::vector<uint32_t> structOpsIds(uint32_t pid) {
  std::vector<uint32_t> ids;
  std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  DIR *d = opendir(dir.c_str());
  if (!d) return ids;
  while (dirent *e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    FILE *f = fopen((dir + "/" + e->d_name).c_str(), "r");
    if (!f) continue;
    char line[256];
    uint32_t type = 0, id = 0;
    bool prog = false;
    while (fgets(line, sizeof line, f)) {
      if (!strncmp(line, "prog_type:", 10)) {
        prog = true;
        type = uint32_t(strtoul(line + 10, nullptr, 10));
      } else if (!strncmp(line, "prog_id:", 8)) {
        id = uint32_t(strtoul(line + 8, nullptr, 10));
      }
    }
    fclose(f);
    if (prog && type == kProgTypeStructOps && id) ids.push_back(id);
  }
  closedir(d);
  return ids;
}

// Is this struct_ops program an io_uring_bpf_ops one (not a TCP congestion control, a sched_ext...)?
bool isRingOps(const bpf_prog_info &info) {
  const btf *kb = kernelBtf();
  if (!kb || !info.attach_btf_id) return false;
  const btf_type *t = btf__type_by_id(kb, info.attach_btf_id);
  return t && !strcmp(btf__name_by_offset(kb, t->name_off), "io_uring_bpf_ops");
}

}  // namespace

std::vector<OpsProgram> opsPrograms(const std::vector<uint32_t> &pids) {
  if (gStatsFd < 0) gStatsFd = bpf_enable_stats(bpf_stats_type(kStatsRunTime));
  for (uint32_t pid : pids) {
    for (uint32_t id : structOpsIds(pid)) {
      if (held().count(id)) continue;
      int fd = bpf_prog_get_fd_by_id(id);
      if (fd < 0) continue;
      bpf_prog_info info{};
      uint32_t len = sizeof info;
      if (bpf_obj_get_info_by_fd(fd, &info, &len) || !isRingOps(info)) {
        close(fd);
        continue;
      }
      held()[id] = {fd, pid};
    }
  }
  std::vector<OpsProgram> out;
  for (auto &[id, h] : held()) {
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(h.fd, &info, &len)) continue;
    out.push_back({id, h.tgid, info.name, info.run_cnt, info.run_time_ns});
  }
  return out;
}

void releaseOpsPrograms() {
  for (auto &[id, h] : held()) close(h.fd);
  held().clear();
  if (gStatsFd >= 0) close(gStatsFd);
  gStatsFd = -1;
}

}  // namespace us
