#include "lifeline.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mutex>

namespace {

LifelineArgs gArgs;
std::string gRunDir;
std::atomic<bool> *gStop = nullptr;
std::atomic<bool> gOrphaned{false};
pthread_t gMain;
std::mutex gCleanupMu;
bool gCleaned = false;

// How long the normal stop path gets once the parent is gone: the whole
// exit must fit in a second, and detection takes up to kPollMs.
constexpr int kGraceMs = 700;
constexpr int kPollMs = 200;
// The stop flag can be set just after a loop checked it and just before it
// blocks in io_uring_enter: SIGTERM is sent again at this pace so the wait
// is interrupted whatever the timing.
constexpr int kResignalMs = 50;
// How long a run stopped by a signal waits to learn whether the parent died.
constexpr int kSettleMs = 100;

bool parentGone() { return gArgs.parent && getppid() != gArgs.parent; }

// Our run directory only: the one uringscope made for this run (the exact
// name mkdtemp gave, uringscope-run-XXXXXX from [A-Za-z0-9], and the owner
// file workloads/run-dir.ts wrote in it), never a directory a bench or a
// user pointed the plan at, such as one named uringscope-run-results.
bool ownRunDir(const std::string &dir) {
  size_t slash = dir.rfind('/');
  std::string base = slash == std::string::npos ? dir : dir.substr(slash + 1);
  static const std::string prefix = "uringscope-run-";
  if (base.size() != prefix.size() + 6 || base.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < base.size(); i++) {
    if (!isalnum(static_cast<unsigned char>(base[i]))) return false;
  }
  struct stat st;
  return lstat((dir + "/owner").c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int removeEntry(const char *path, const struct stat *, int, struct FTW *) {
  remove(path);
  return 0;  // keep going: remove what can be removed
}

void sleepMs(int ms) {
  timespec ts{ms / 1000, long(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

void orphaned() {
  gOrphaned.store(true);
  if (gStop) gStop->store(true);
  for (int waited = 0; waited < kGraceMs; waited += kResignalMs) {
    pthread_kill(gMain, SIGTERM);  // the same stop as Ctrl-C: cancel, reap, tear down
    sleepMs(kResignalMs);
  }
  // Still here: the stop path is stuck. Exiting closes the ring and the BPF
  // fds, which makes the kernel cancel the requests and unload the programs.
  lifelineCleanup(false);
  _exit(1);
}

void *watch(void *) {
  for (;;) {
    if (gArgs.fd >= 0) {
      pollfd p{gArgs.fd, POLLIN, 0};
      int r = poll(&p, 1, kPollMs);
      if (r > 0) {
        char buf[64];
        ssize_t n = read(gArgs.fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;  // EOF: the parent is gone
        if (n > 0) {
          // A stop the parent asked for before we could take a signal: once, like its SIGTERM.
          if (gStop) gStop->store(true);
          pthread_kill(gMain, SIGTERM);
        }
      } else if (r < 0 && errno != EINTR) {
        break;
      }
    } else {
      sleepMs(kPollMs);
    }
    if (parentGone()) break;
  }
  orphaned();
  return nullptr;
}

bool parseNumber(const char *s, long *out) {
  char *end = nullptr;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || v < 0) return false;
  *out = v;
  return true;
}

}  // namespace

std::string parseLifelineArgs(int *argc, char ***argv, LifelineArgs *out) {
  while (*argc >= 3 && strncmp((*argv)[1], "--", 2) == 0) {
    std::string opt = (*argv)[1];
    long v;
    if (!parseNumber((*argv)[2], &v)) return opt + " takes a number";
    if (opt == "--parent" && v > 0) out->parent = pid_t(v);
    else if (opt == "--lifeline") out->fd = int(v);
    else return "unknown option " + opt;
    (*argv)[2] = (*argv)[0];
    *argv += 2;
    *argc -= 2;
  }
  return "";
}

bool armLifeline(const LifelineArgs &a, const std::string &runDir, std::atomic<bool> *stop) {
  gArgs = a;
  gRunDir = ownRunDir(runDir) ? runDir : "";
  gStop = stop;
  gMain = pthread_self();
  if (!a.parent && a.fd < 0) return true;
  if (a.parent) {
    // SIGTERM, not SIGKILL: the handler runs the normal stop, which cancels
    // what is in flight and removes the scratch files.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    // The parent may have died before prctl: then no signal ever comes.
    if (parentGone()) {
      gOrphaned.store(true);
      return false;
    }
  }
  // The watcher must never take the stop signals meant for the main thread
  // (they interrupt its io_uring waits): it is created with them blocked.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  pthread_t t;
  int r = pthread_create(&t, nullptr, watch, nullptr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (r == 0) pthread_detach(t);
  // No watcher (no threads left?): PDEATHSIG alone still stops the run.
  return true;
}

bool lifelineOrphaned() { return gOrphaned.load() || parentGone(); }

// PDEATHSIG comes when the thread that spawned us exits, while the rest of
// a SIGKILLed Node is still going down: getppid() still names it and the
// lifeline closes a moment later. A run stopped by a signal so asks the
// lifeline, briefly, whether that signal was the parent's death.
static bool settle(int ms) {
  if (gArgs.fd < 0) return lifelineOrphaned();
  for (int waited = 0; !lifelineOrphaned() && waited < ms; waited += 10) {
    pollfd p{gArgs.fd, POLLIN, 0};
    if (poll(&p, 1, 10) > 0 && (p.revents & (POLLHUP | POLLERR))) gOrphaned.store(true);
  }
  return lifelineOrphaned();
}

void lifelineCleanup(bool stopped) {
  if (gRunDir.empty() || (!gArgs.parent && gArgs.fd < 0)) return;
  if (!(stopped ? settle(kSettleMs) : lifelineOrphaned())) return;
  std::lock_guard<std::mutex> g(gCleanupMu);
  if (gCleaned) return;
  nftw(gRunDir.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS);
  gCleaned = true;
}
