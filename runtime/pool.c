/*===- pool.c - Worker threads for the data-parallel parts of a run ------===*
 *
 * A fixed set of threads that run one job at a time: cat_pool_run hands
 * every thread the same function with its own index and returns when all
 * are done, the caller itself being thread 0. Jobs split their work by the
 * index only in ways that do not change results (disjoint shards, disjoint
 * slices of a sum), so a run's numbers never depend on the thread count.
 *
 * A job is announced by bumping a generation counter, and the last worker
 * to finish counts `pending` down to zero. Both sides spin on those
 * counters for a few tenths of a millisecond before they sleep on a condition
 * variable: a training step hands over work several times, and waking a
 * sleeping thread costs about as long, which would eat much of what two
 * threads gain on a step of a millisecond. With more threads than cores a
 * spinning thread would take the core a working one needs: they sleep at
 * once.
 *
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity */
#endif
#include "catrt_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cat_pool {
  int threads;
  pthread_t *workers;        /* threads - 1 of them */
  pthread_mutex_t lock;
  pthread_cond_t start, done;
  uint64_t generation;       /* bumped for every job, and to stop (atomic) */
  int pending;               /* workers still running the current job (atomic) */
  int stopping;
  int spins;                 /* rounds of a wait's spin: none when there are
                                more threads than cores to spin on */
  cat_pool_job job;
  void *arg;
};

typedef struct worker_start {
  cat_pool *pool;
  int index;
} worker_start;

/* Iterations of a spin before sleeping: a few tenths of a millisecond (a
 * pause takes 10 to 40 ns), the serial part of a training step between two
 * jobs: the optimizer's update and the metrics. */
enum { SPINS = 1 << 14 };

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && __ARM_ARCH >= 7)
  __asm__ __volatile__("yield");
#endif
}

static uint64_t generation_of(cat_pool *pool) {
  return __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
}

static void *worker_main(void *raw) {
  worker_start start = *(worker_start *)raw;
  free(raw);
  cat_pool *pool = start.pool;
  uint64_t seen = 0;
  for (;;) {
    for (int spin = 0; spin < pool->spins && generation_of(pool) == seen; ++spin)
      relax();
    if (generation_of(pool) == seen) {
      pthread_mutex_lock(&pool->lock);
      while (generation_of(pool) == seen)
        pthread_cond_wait(&pool->start, &pool->lock);
      pthread_mutex_unlock(&pool->lock);
    }
    seen = generation_of(pool);
    if (pool->stopping)
      break;
    pool->job(pool->arg, start.index, pool->threads);
    if (__atomic_sub_fetch(&pool->pending, 1, __ATOMIC_ACQ_REL) == 0) {
      pthread_mutex_lock(&pool->lock);
      pthread_cond_signal(&pool->done);
      pthread_mutex_unlock(&pool->lock);
    }
  }
  return NULL;
}

/* The cores this process may run on: a container's CPU set, or the cores
 * mpirun binds a rank to (one, by default, for two ranks or fewer), which
 * are fewer than the machine's. */
int cat_cpu_count(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef CPU_COUNT
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0)
    cores = CPU_COUNT(&allowed);
#endif
  return cores < 1 ? 1 : cores > CAT_MAX_THREADS ? CAT_MAX_THREADS : (int)cores;
}

cat_pool *cat_pool_start(int threads) {
  cat_pool *pool = cat_xcalloc(1, sizeof *pool);
  pool->threads = threads < 1 ? 1 : threads;
  pool->spins = pool->threads <= cat_cpu_count() ? SPINS : 0;
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->start, NULL);
  pthread_cond_init(&pool->done, NULL);
  pool->workers = cat_xcalloc((size_t)pool->threads, sizeof *pool->workers);
  for (int t = 1; t < pool->threads; ++t) {
    worker_start *start = cat_xmalloc(sizeof *start);
    start->pool = pool;
    start->index = t;
    if (pthread_create(&pool->workers[t - 1], NULL, worker_main, start) != 0) {
      /* Fewer threads than asked: the results are the same, only slower. */
      free(start);
      cat_warning("could not start thread %d of %d; running with %d",
                  t + 1, pool->threads, t);
      pool->threads = t;
      break;
    }
  }
  return pool;
}

cat_pool *cat_pool_for(int64_t threads) {
  int count = threads > 0 ? (int)threads : cat_cpu_count();
  return count > 1 ? cat_pool_start(count) : NULL;
}

int cat_pool_threads(const cat_pool *pool) { return pool ? pool->threads : 1; }

void cat_pool_run(cat_pool *pool, cat_pool_job job, void *arg) {
  if (!pool || pool->threads == 1) {
    job(arg, 0, 1);
    return;
  }
  pool->job = job;
  pool->arg = arg;
  __atomic_store_n(&pool->pending, pool->threads - 1, __ATOMIC_RELAXED);
  pthread_mutex_lock(&pool->lock);
  __atomic_add_fetch(&pool->generation, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&pool->start);
  pthread_mutex_unlock(&pool->lock);
  job(arg, 0, pool->threads);
  for (int spin = 0; spin < pool->spins && __atomic_load_n(&pool->pending, __ATOMIC_ACQUIRE) > 0;
       ++spin)
    relax();
  if (__atomic_load_n(&pool->pending, __ATOMIC_ACQUIRE) > 0) {
    pthread_mutex_lock(&pool->lock);
    while (__atomic_load_n(&pool->pending, __ATOMIC_ACQUIRE) > 0)
      pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
  }
}

void cat_pool_stop(cat_pool *pool) {
  if (!pool)
    return;
  pthread_mutex_lock(&pool->lock);
  pool->stopping = 1;
  __atomic_add_fetch(&pool->generation, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&pool->start);
  pthread_mutex_unlock(&pool->lock);
  for (int t = 1; t < pool->threads; ++t)
    pthread_join(pool->workers[t - 1], NULL);
  pthread_mutex_destroy(&pool->lock);
  pthread_cond_destroy(&pool->start);
  pthread_cond_destroy(&pool->done);
  free(pool->workers);
  free(pool);
}
