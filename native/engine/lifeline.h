// The engine dies with the uringscope process that started it. Without this,
// `kill -9` of uringscope left the engine running (under bpf with its policy
// programs loaded and its SQPOLL thread spinning) and its run directory in
// /tmp forever.
//
// Two signals of the parent's death, either one is enough:
//  - PR_SET_PDEATHSIG(SIGTERM), set at the start of main(); the engine is
//    exec'd by a gate shell, so the parent may already be gone by then:
//    getppid() is checked against the pid uringscope passed (--parent).
//  - a pipe from uringscope (--lifeline FD) that it never closes: EOF on it
//    means the parent is gone, whatever killed it. (A line on it asks for
//    a stop, like SIGTERM: uringscope's Ctrl-C that came while the engine
//    was still starting.)
// Either way the engine stops as on SIGTERM (cancel what is in flight, tear
// the ring and the BPF down), removes its run directory (nobody else will),
// and is gone within a second: a watchdog ends it if the stop path takes
// longer.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>

struct LifelineArgs {
  pid_t parent = 0;  // 0 and no fd: not started by uringscope (a bench): no lifeline
  int fd = -1;
};

// Takes the leading "--parent PID" and "--lifeline FD" options off argv
// (argc/argv are updated). Returns "" or a one-line usage error.
std::string parseLifelineArgs(int *argc, char ***argv, LifelineArgs *out);

// Arms both mechanisms. `stop` is the flag the run loops poll; `runDir` is
// removed if the parent dies. SIGTERM's handler must be installed first.
// If the parent is already gone, returns false: the caller exits at once.
bool armLifeline(const LifelineArgs &a, const std::string &runDir, std::atomic<bool> *stop);

// True once the parent is known to be gone.
bool lifelineOrphaned();

// Removes the run directory if the parent is gone (once, whichever thread
// comes first). `stopped`: the run ended on a signal, which may be the
// parent's death arriving before its lifeline closes (waits up to 100 ms
// for that). Safe to call always.
void lifelineCleanup(bool stopped);
