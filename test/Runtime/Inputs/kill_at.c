/* kill_at.c - an LD_PRELOAD library that kills its process with SIGKILL at
 * its first fsync() (the new checkpoint written to its temporary file, not
 * yet synced), or with -DKILL_AT_RENAME at its first rename() (synced, not
 * yet in place): a power cut or an OOM kill in the middle of a checkpoint. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#ifdef KILL_AT_RENAME
int rename(const char *from, const char *to) {
  (void)from, (void)to;
  kill(getpid(), SIGKILL);
  return -1;
}
#else
int fsync(int fd) {
  (void)fd;
  kill(getpid(), SIGKILL);
  return -1;
}
#endif
