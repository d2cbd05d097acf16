/*===- comm.c - The processes of a run: one, without MPI -------------------===*
 *
 * The one-process build of the interface in catrt_internal.h: rank 0 of 1,
 * and every collective is a copy. comm_mpi.c replaces this file in the
 * runtime that `catc --mpi` links.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <string.h>

int cat_comm_start(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

void cat_comm_stop(int status) { (void)status; }

int cat_comm_rank(void) { return 0; }

int cat_comm_size(void) { return 1; }

int cat_comm_allgather(const void *mine, void *all, const size_t *bytes) {
  if (all != mine && bytes[0] > 0)
    memmove(all, mine, bytes[0]);
  return 0;
}

int cat_comm_any(int flag) { return flag != 0; }

int cat_comm_broadcast(void *data, size_t bytes, int root) {
  (void)data;
  (void)bytes;
  (void)root;
  return 0;
}

void cat_comm_abort(int status) { (void)status; }
