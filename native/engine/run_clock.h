// The run thread's ground-truth costs, taken the same way by every strategy:
// wall time, the thread's and the whole process's CPU (io threads included),
// and the thread's context switches (getrusage per thread).
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <cstdint>

#include "engine.h"

inline uint64_t clockNs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

class RunClock {
 public:
  RunClock()
      : wall0_(clockNs(CLOCK_MONOTONIC)),
        cpu0_(clockNs(CLOCK_THREAD_CPUTIME_ID)),
        pcpu0_(clockNs(CLOCK_PROCESS_CPUTIME_ID)) {
    getrusage(RUSAGE_THREAD, &ru0_);
  }
  uint64_t startNs() const { return wall0_; }
  // Fills the time and switch fields of `st` with what passed since construction.
  void stop(EngineStats *st) const {
    st->wallNs = clockNs(CLOCK_MONOTONIC) - wall0_;
    st->cpuNs = clockNs(CLOCK_THREAD_CPUTIME_ID) - cpu0_;
    st->processCpuNs = clockNs(CLOCK_PROCESS_CPUTIME_ID) - pcpu0_;
    rusage ru1;
    getrusage(RUSAGE_THREAD, &ru1);
    st->voluntary = uint64_t(ru1.ru_nvcsw - ru0_.ru_nvcsw);
    st->involuntary = uint64_t(ru1.ru_nivcsw - ru0_.ru_nivcsw);
  }

 private:
  uint64_t wall0_, cpu0_, pcpu0_;
  rusage ru0_;
};
