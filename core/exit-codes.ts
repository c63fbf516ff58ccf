// Every exit status uringscope itself chooses, in one place. Where one of
// sysexits.h's (BSD, /usr/include/sysexits.h) fits, it has that number and
// name; 2 is what command-line parsers exit with on bad usage (yargs, getopt
// programs, the shell's builtins); 126, 127 and 128 + a signal number are
// the POSIX shell's. A traced command's own status is passed on as it is.
// What users may rely on is the table in docs/contract.md (Exit codes).
import { constants } from 'node:os';

/** Success: the command did what it was asked. */
export const EXIT_OK = 0;
/** A failure no other status names (UserError's default): doctor when a strategy cannot run here, a run that stalled, spent its step budget or had chains fail. */
export const EXIT_FAILURE = 1;
/** What the user gave cannot be used as given: a flag or its value, a target, a workload, policy or output file; the TUI without a terminal. */
export const EXIT_USAGE = 2;
/** A recording read only in part (cut or corrupt after the header): report, export and view show what was read. */
export const EXIT_INCOMPLETE = 3;
/** EX_DATAERR: the file is not a readable recording, or holds nothing a replay can issue. */
export const EXIT_BAD_RECORDING = 65;
/** EX_NOINPUT: the recording to read does not exist. */
export const EXIT_NOINPUT = 66;
/** EX_UNAVAILABLE: this kernel cannot run the bpf strategy's path that was asked for. */
export const EXIT_UNAVAILABLE = 69;
/** EX_SOFTWARE: an internal error, a bug in uringscope (printed without its stack unless URINGSCOPE_DEBUG is set). */
export const EXIT_SOFTWARE = 70;
/** EX_OSERR: the process lacks an OS resource to run (too low RLIMIT_NOFILE). */
export const EXIT_OSERR = 71;
/** EX_CANTCREAT: a file or directory we make cannot be created. */
export const EXIT_CANTCREAT = 73;
/** EX_IOERR: writing the output failed (ENOSPC, EIO). */
export const EXIT_IOERR = 74;
/** EX_NOPERM: no root nor CAP_BPF + CAP_PERFMON to load the BPF tracer. */
export const EXIT_NOPERM = 77;
/** The shell's "cannot execute": the command after -- is there but cannot be run. */
export const EXIT_CANNOT_EXECUTE = 126;
/** The shell's "command not found": the command after -- is not there. */
export const EXIT_COMMAND_NOT_FOUND = 127;
/** 128 + SIGINT: a second Ctrl-C / SIGTERM / SIGHUP during a run, replay or serve, which does not wait. */
export const EXIT_SECOND_SIGNAL = 130;
/** 128 + SIGPIPE: stdout's reader is gone (`| head -1`); a C tool would die of SIGPIPE there. */
export const SIGPIPE_EXIT = 128 + constants.signals.SIGPIPE;
