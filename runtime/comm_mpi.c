/*===- comm_mpi.c - The processes of a run: the ranks of an MPI job -------===*
 *
 * The MPI build of the interface in catrt_internal.h, in the runtime that
 * `catc --mpi` links (libcatrt_mpi.a) instead of comm.c. The only file that
 * names MPI. Only the main thread calls it (MPI_THREAD_FUNNELED).
 *
 * A dead rank needs nothing from us: mpirun ends the job within about two
 * seconds and names the rank. A rank that is alive but never arrives (stuck,
 * stopped) would hang the others in a collective, so every collective is
 * nonblocking and waited for with a deadline, CAT_MPI_TIMEOUT seconds
 * (docs/scaling.md); past it the job is aborted.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <mpi.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The most bytes one MPI call moves: counts are int, and a total above this
 * is moved in pieces. Tests build with a small value to cover that path. */
#ifndef CAT_MPI_MAX_MESSAGE
#define CAT_MPI_MAX_MESSAGE ((size_t)1 << 30)
#endif

/* Ranks run in lockstep, so the longest legitimate wait is one rank's work
 * outside the collectives (loading data, rank 0 writing a checkpoint) on a
 * busy machine; minutes, not hours. 0 waits forever. */
#define CAT_MPI_DEFAULT_TIMEOUT 300.0
/* How long a rank that failed waits in cat_comm_stop for the others, which
 * usually failed the same way (a usage error, a missing file) before it
 * decides they are waiting for it and aborts the job. */
#define CAT_MPI_ERROR_GRACE 5.0

static MPI_Comm comm = MPI_COMM_NULL;       /* the run's collectives */
static MPI_Comm stop_comm = MPI_COMM_NULL;  /* only cat_comm_stop's: never
                                               matched with a pending one */
static int my_rank = 0, num_ranks = 1;
static double timeout = CAT_MPI_DEFAULT_TIMEOUT;

static int mpi_failed(const char *what, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS)
    snprintf(text, sizeof text, "error code %d", code);
  if (comm != MPI_COMM_NULL)
    cat_error("rank %d: MPI: %s failed (%s)", my_rank, what, text);
  else
    cat_error("MPI: %s failed (%s)", what, text);
  return -1;
}

static double now(void) { return MPI_Wtime(); }

/* Nonblocking collectives move data only while MPI is called, so waiting
 * polls without sleeping, as MPI's own blocking calls do; past the first
 * millisecond it yields the core, which an oversubscribed rank may share
 * with the rank it waits for. */
static void pause_after(double waited) {
  if (waited > 1e-3)
    sched_yield();
}

/* Waits for requests[0..count); past `limit` seconds (0: none) returns 1
 * with the requests still pending. */
static int wait_all(int count, MPI_Request *requests, const char *what,
                    double limit) {
  double start = now();
  for (;;) {
    int done = 0;
    int rc = MPI_Testall(count, requests, &done, MPI_STATUSES_IGNORE);
    if (rc != MPI_SUCCESS)
      return mpi_failed(what, rc);
    if (done)
      return 0;
    double waited = now() - start;
    if (limit > 0 && waited > limit)
      return 1;
    pause_after(waited);
  }
}

/* A collective's wait: past the timeout the job cannot go on. */
static int finish(int count, MPI_Request *requests, const char *what) {
  int rc = wait_all(count, requests, what, timeout);
  if (rc == 1) {
    cat_error("rank %d: no answer from the other ranks within %g s (%s; "
              "CAT_MPI_TIMEOUT sets the limit)", my_rank, timeout, what);
    cat_comm_abort(CAT_EXIT_ERROR);
  }
  return rc == 0 ? 0 : -1;
}

static int read_timeout(void) {
  const char *text = getenv("CAT_MPI_TIMEOUT");
  if (!text || !*text)
    return 0;
  char *end;
  errno = 0;
  double value = strtod(text, &end);
  if (errno || *end || !(value >= 0) || value > 1e9) {
    cat_error("CAT_MPI_TIMEOUT='%s' is not a number of seconds (0 waits "
              "forever)", text);
    return -1;
  }
  timeout = value;
  return 0;
}

int cat_comm_start(int *argc, char ***argv) {
  int provided = MPI_THREAD_SINGLE;
  int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS)
    return mpi_failed("MPI_Init_thread", rc);
  /* Errors come back to us (and name the rank) instead of ending the job
   * in MPI; the duplicates inherit the handler. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if ((rc = MPI_Comm_dup(MPI_COMM_WORLD, &comm)) != MPI_SUCCESS ||
      (rc = MPI_Comm_dup(MPI_COMM_WORLD, &stop_comm)) != MPI_SUCCESS) {
    mpi_failed("MPI_Comm_dup", rc);
    MPI_Abort(MPI_COMM_WORLD, CAT_EXIT_ERROR);
    return -1;
  }
  MPI_Comm_rank(comm, &my_rank);
  MPI_Comm_size(comm, &num_ranks);
  int ok = provided >= MPI_THREAD_FUNNELED;
  if (!ok)
    cat_error("rank %d: the MPI library offers thread level %d, and the "
              "runtime needs MPI_THREAD_FUNNELED (%d)", my_rank, provided,
              MPI_THREAD_FUNNELED);
  if (read_timeout() != 0)
    ok = 0;
  if (!ok) {
    cat_comm_stop(CAT_EXIT_ERROR);
    return -1;
  }
  return 0;
}

void cat_comm_stop(int status) {
  if (comm == MPI_COMM_NULL)
    return;
  /* (No fflush: after a Ctrl-C mpirun stops reading the ranks' stdout, and
   * a flush could block until its SIGKILL.) */
  /* MPI_Finalize waits for every rank, so a rank that failed alone would
   * wait there for ranks that wait for it in a collective: first agree
   * that everyone is stopping, on a communicator of its own. The ranks
   * agree on success and on an interrupt (through cat_comm_any), so they
   * all come, rank 0 perhaps late from writing the checkpoint: the full
   * timeout. An error may be this rank's alone: a short grace, then end
   * the job. */
  int agreed = status == CAT_EXIT_OK || status == CAT_EXIT_INTERRUPTED;
  double limit = timeout;
  if (!agreed && (limit == 0 || limit > CAT_MPI_ERROR_GRACE))
    limit = CAT_MPI_ERROR_GRACE;
  int mine = status, worst = 0;
  MPI_Request request;
  int rc = MPI_Iallreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, stop_comm,
                          &request);
  if (rc != MPI_SUCCESS) {
    mpi_failed("MPI_Iallreduce", rc);
    cat_comm_abort(status ? status : CAT_EXIT_ERROR);
  }
  rc = wait_all(1, &request, "stopping", limit);
  if (rc == 1) {
    if (agreed)
      cat_error("rank %d: no answer from the other ranks within %g s "
                "(stopping; CAT_MPI_TIMEOUT sets the limit)", my_rank, limit);
    else
      cat_error("rank %d: stopping every rank: the others did not stop "
                "within %g s", my_rank, limit);
  }
  if (rc != 0)
    cat_comm_abort(status ? status : CAT_EXIT_ERROR);
  MPI_Comm_free(&stop_comm);
  MPI_Comm_free(&comm);
  MPI_Finalize();
}

int cat_comm_rank(void) { return my_rank; }

int cat_comm_size(void) { return num_ranks; }

/* The blocks of all ranks through one Ibcast per rank and piece of at most
 * CAT_MPI_MAX_MESSAGE bytes: int counts and displacements cannot describe
 * them in one Iallgatherv. */
static int allgather_pieces(char *all, const size_t *bytes,
                            const size_t *offset) {
  size_t pieces = 0;
  for (int r = 0; r < num_ranks; ++r)
    pieces += (bytes[r] + CAT_MPI_MAX_MESSAGE - 1) / CAT_MPI_MAX_MESSAGE;
  if (pieces > INT_MAX) {
    cat_error("rank %d: MPI: %zu pieces are too many for one allgather",
              my_rank, pieces);
    return -1;
  }
  MPI_Request *requests = cat_xmalloc((pieces ? pieces : 1) *
                                      sizeof *requests);
  int posted = 0, rc = MPI_SUCCESS;
  for (int r = 0; r < num_ranks && rc == MPI_SUCCESS; ++r)
    for (size_t done = 0; done < bytes[r] && rc == MPI_SUCCESS;) {
      size_t n = bytes[r] - done < CAT_MPI_MAX_MESSAGE ? bytes[r] - done
                                                       : CAT_MPI_MAX_MESSAGE;
      rc = MPI_Ibcast(all + offset[r] + done, (int)n, MPI_BYTE, r, comm,
                      &requests[posted]);
      if (rc == MPI_SUCCESS)
        ++posted;
      done += n;
    }
  int status = rc != MPI_SUCCESS ? mpi_failed("MPI_Ibcast", rc)
                                 : finish(posted, requests, "allgather");
  free(requests);
  return status;
}

int cat_comm_allgather(const void *mine, void *all, const size_t *bytes) {
  size_t *offset = cat_xmalloc((size_t)num_ranks * sizeof *offset);
  size_t total = 0;
  for (int r = 0; r < num_ranks; ++r) {
    offset[r] = total;
    total += bytes[r];
  }
  char *out = all;
  /* In place: our block first, then the others around it. */
  if (bytes[my_rank] > 0 && out + offset[my_rank] != (const char *)mine)
    memmove(out + offset[my_rank], mine, bytes[my_rank]);
  int status;
  if (total > CAT_MPI_MAX_MESSAGE) {
    status = allgather_pieces(out, bytes, offset);
  } else {
    int *counts = cat_xmalloc((size_t)num_ranks * 2 * sizeof *counts);
    int *displs = counts + num_ranks;
    for (int r = 0; r < num_ranks; ++r) {
      counts[r] = (int)bytes[r];
      displs[r] = (int)offset[r];
    }
    MPI_Request request;
    int rc = MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out, counts,
                             displs, MPI_BYTE, comm, &request);
    status = rc != MPI_SUCCESS ? mpi_failed("MPI_Iallgatherv", rc)
                               : finish(1, &request, "allgather");
    free(counts);
  }
  free(offset);
  return status;
}

int cat_comm_any(int flag) {
  int mine = flag != 0, any = 0;
  MPI_Request request;
  int rc = MPI_Iallreduce(&mine, &any, 1, MPI_INT, MPI_LOR, comm, &request);
  if (rc != MPI_SUCCESS)
    return mpi_failed("MPI_Iallreduce", rc);
  return finish(1, &request, "any") == 0 ? any != 0 : -1;
}

int cat_comm_broadcast(void *data, size_t bytes, int root) {
  if (root < 0 || root >= num_ranks) {
    cat_error("rank %d: broadcast from rank %d of %d", my_rank, root,
              num_ranks);
    return -1;
  }
  size_t pieces = (bytes + CAT_MPI_MAX_MESSAGE - 1) / CAT_MPI_MAX_MESSAGE;
  if (pieces == 0)
    return 0;
  if (pieces > INT_MAX) {
    cat_error("rank %d: MPI: %zu pieces are too many for one broadcast",
              my_rank, pieces);
    return -1;
  }
  MPI_Request *requests = cat_xmalloc(pieces * sizeof *requests);
  int posted = 0, rc = MPI_SUCCESS;
  for (size_t done = 0; done < bytes && rc == MPI_SUCCESS;) {
    size_t n = bytes - done < CAT_MPI_MAX_MESSAGE ? bytes - done
                                                  : CAT_MPI_MAX_MESSAGE;
    rc = MPI_Ibcast((char *)data + done, (int)n, MPI_BYTE, root, comm,
                    &requests[posted]);
    if (rc == MPI_SUCCESS)
      ++posted;
    done += n;
  }
  int status = rc != MPI_SUCCESS ? mpi_failed("MPI_Ibcast", rc)
                                 : finish(posted, requests, "broadcast");
  free(requests);
  return status;
}

void cat_comm_abort(int status) {
  fflush(NULL);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized)
    MPI_Abort(MPI_COMM_WORLD, status);
  exit(status);
}
