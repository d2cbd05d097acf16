/*===- eval.c - Running a model over a data set in batches ---------------===*
 *
 * A cat_runner owns everything the model's functions need for one batch:
 * contiguous per-factor buffers for inputs, targets and outputs, the
 * per-example losses and the workspace, all sized once for the largest
 * batch. Batches are gathered from a data set through an index array, which
 * is how shuffling and the validation split avoid copying the data set.
 *
 * With a pool of threads, a batch large enough to pay for the hand-over is
 * cut into contiguous parts, one per thread, each with its own workspace:
 * every example's results are the same bits in any batch (the kernels fix
 * their summation order per example), so the parts change nothing but the
 * time.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void **alloc_buffers(const cat_factor *factors, int32_t count,
                            size_t capacity) {
  void **buffers = cat_xcalloc(count ? (size_t)count : 1, sizeof *buffers);
  for (int32_t i = 0; i < count; ++i)
    buffers[i] = cat_xaligned(capacity * (size_t)factors[i].size * 4);
  return buffers;
}

static void free_buffers(void **buffers, int32_t count) {
  for (int32_t i = 0; buffers && i < count; ++i)
    free(buffers[i]);
  free(buffers);
}

void cat_runner_init(cat_runner *runner, const cat_model *model,
                     size_t capacity) {
  memset(runner, 0, sizeof *runner);
  runner->model = model;
  runner->capacity = capacity ? capacity : 1;
  runner->inputs = alloc_buffers(model->inputs, model->num_inputs,
                                 runner->capacity);
  runner->targets = alloc_buffers(model->targets, model->num_targets,
                                  runner->capacity);
  runner->outputs = alloc_buffers(model->outputs, model->num_outputs,
                                  runner->capacity);
  runner->losses = cat_xaligned(runner->capacity * sizeof(float));
  runner->workspace = cat_xaligned(model->workspace_size(runner->capacity));
}

void cat_runner_use_pool(cat_runner *runner, cat_pool *pool) {
  int threads = cat_pool_threads(pool);
  if (threads <= 1)
    return;
  const cat_model *model = runner->model;
  runner->pool = pool;
  runner->parts = threads;
  size_t part = (runner->capacity + (size_t)threads - 1) / (size_t)threads;
  runner->part_workspaces = cat_xcalloc((size_t)threads, sizeof(void *));
  for (int t = 0; t < threads; ++t)
    runner->part_workspaces[t] = cat_xaligned(model->workspace_size(part));
  int32_t factors = model->num_inputs + model->num_targets + model->num_outputs + 3;
  runner->part_views = cat_xcalloc((size_t)(threads * factors), sizeof(void *));
}

void cat_runner_free(cat_runner *runner) {
  const cat_model *model = runner->model;
  for (int t = 0; runner->part_workspaces && t < runner->parts; ++t)
    free(runner->part_workspaces[t]);
  free(runner->part_workspaces);
  free(runner->part_views);
  free_buffers(runner->inputs, model->num_inputs);
  free_buffers(runner->targets, model->num_targets);
  free_buffers(runner->outputs, model->num_outputs);
  free(runner->losses);
  free(runner->workspace);
  memset(runner, 0, sizeof *runner);
}

static void gather_factors(void **to, void *const *from,
                           const cat_factor *factors, int32_t count,
                           const int64_t *index, size_t first, size_t n) {
  for (int32_t f = 0; f < count; ++f) {
    size_t bytes = (size_t)factors[f].size * 4;
    for (size_t i = first; i < first + n; ++i)
      memcpy((char *)to[f] + i * bytes,
             (const char *)from[f] + (size_t)index[i] * bytes, bytes);
  }
}

void cat_runner_gather_rows(cat_runner *runner, const cat_dataset *data,
                            const int64_t *index, size_t first, size_t n) {
  const cat_model *model = runner->model;
  gather_factors(runner->inputs, data->inputs, model->inputs,
                 model->num_inputs, index, first, n);
  if (data->num_targets > 0)
    gather_factors(runner->targets, data->targets, model->targets,
                   model->num_targets, index, first, n);
}

void cat_runner_gather(cat_runner *runner, const cat_dataset *data,
                       const int64_t *index, size_t n) {
  cat_runner_gather_rows(runner, data, index, 0, n);
}

/*--- running the model on the gathered batch, in parts ---------------------*/

typedef enum { RUN_FORWARD, RUN_EVALUATE, RUN_HEADS } run_kind;

typedef struct run_job {
  cat_runner *runner;
  run_kind kind;
  const float *params;
  float *const *heads;  /* RUN_HEADS: two arrays of n losses */
  size_t n;
  int parts;
  int next;             /* the next part to take (atomic) */
} run_job;

/* Part `part` of the job, on thread `thread`: the part's rows of every
 * buffer, the thread's workspace. */
static void run_part(const run_job *job, int part, int thread) {
  cat_runner *r = job->runner;
  const cat_model *model = r->model;
  size_t lo = job->n * (size_t)part / (size_t)job->parts;
  size_t hi = job->n * (size_t)(part + 1) / (size_t)job->parts;
  void *ws = r->workspace;
  void **inputs = r->inputs, **targets = r->targets, **outputs = r->outputs;
  float *losses = r->losses, *heads[2] = {NULL, NULL};
  if (job->heads)
    heads[0] = job->heads[0], heads[1] = job->heads[1];
  if (job->parts > 1) {
    int32_t factors = model->num_inputs + model->num_targets + model->num_outputs + 3;
    void **views = r->part_views + part * factors;
    ws = r->part_workspaces[thread];
    inputs = views;
    targets = inputs + model->num_inputs;
    outputs = targets + model->num_targets;
    for (int32_t f = 0; f < model->num_inputs; ++f)
      inputs[f] = (char *)r->inputs[f] + lo * (size_t)model->inputs[f].size * 4;
    for (int32_t f = 0; f < model->num_targets; ++f)
      targets[f] = (char *)r->targets[f] + lo * (size_t)model->targets[f].size * 4;
    for (int32_t f = 0; f < model->num_outputs; ++f)
      outputs[f] = (char *)r->outputs[f] + lo * (size_t)model->outputs[f].size * 4;
    losses += lo;
    if (job->heads)
      heads[0] += lo, heads[1] += lo;
  }
  switch (job->kind) {
  case RUN_FORWARD:
    model->forward(job->params, inputs, outputs, hi - lo, ws);
    break;
  case RUN_EVALUATE:
    model->evaluate(job->params, inputs, targets, outputs, losses, hi - lo, ws);
    break;
  case RUN_HEADS:
    model->head_losses(job->params, inputs, targets, (void *const *)heads, hi - lo, ws);
    break;
  }
}

/* Each thread takes the next part until none is left. */
static void run_parts(void *arg, int thread, int threads) {
  run_job *job = arg;
  (void)threads;
  for (int part; (part = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->parts;)
    run_part(job, part, thread);
}

/* Multiply-adds a thread should have in hand before a batch is cut: about
 * the work of a few tens of microseconds, the cost of the hand-over. */
enum { PART_WORK = 1 << 17 };

static void run(cat_runner *runner, run_kind kind, const float *params,
                float *const *heads, size_t n) {
  run_job job = {runner, kind, params, heads, n, 1, 0};
  double work = (double)n * (double)runner->model->param_count;
  if (runner->parts > 1 && n > 1) {
    double parts = work / PART_WORK;
    job.parts = parts >= runner->parts ? runner->parts : parts >= 2 ? (int)parts : 1;
    if ((size_t)job.parts > n)
      job.parts = (int)n;
  }
  if (job.parts > 1)
    cat_pool_run(runner->pool, run_parts, &job);
  else
    run_part(&job, 0, 0);
}

void cat_runner_forward(cat_runner *runner, const float *params, size_t n) {
  run(runner, RUN_FORWARD, params, NULL, n);
}

int cat_model_has_accuracy(const cat_model *model) {
  return model->num_targets == 1 && model->num_outputs == 1 &&
         model->targets[0].kind == CAT_FIN && model->targets[0].size == 1 &&
         model->outputs[0].kind == CAT_REAL &&
         model->outputs[0].size == model->targets[0].classes;
}

int cat_model_has_output_steps(const cat_model *model) {
  return model->outputs_magic == CAT_OUTPUTS_MAGIC;
}

/* The first index of the largest score (NaNs never win, ties go to the
 * first). A language model scores every position of every example over its
 * vocabulary, so this runs as two passes the compiler vectorises: the
 * maximum, kept in eight lanes, then the first score equal to it. */
int32_t cat_argmax(const float *scores, int64_t count) {
  if (count <= 1 || scores[0] != scores[0])
    return 0;  /* a NaN first is never beaten */
  enum { LANES = 8 };
  float lane[LANES];
  for (int j = 0; j < LANES; ++j)
    lane[j] = scores[0];
  int64_t c = 1;
  for (; c + LANES <= count; c += LANES)
    for (int j = 0; j < LANES; ++j)
      lane[j] = scores[c + j] > lane[j] ? scores[c + j] : lane[j];
  float best = lane[0];
  for (int j = 1; j < LANES; ++j)
    best = lane[j] > best ? lane[j] : best;
  for (; c < count; ++c)
    best = scores[c] > best ? scores[c] : best;
  for (c = 0; scores[c] != best; ++c) {
  }
  return (int32_t)c;
}

int32_t cat_runner_argmax(const cat_runner *runner, size_t i) {
  int64_t k = runner->model->outputs[0].size;
  return cat_argmax((const float *)runner->outputs[0] + i * (size_t)k, k);
}

cat_metrics cat_evaluate(cat_runner *runner, cat_scores *scores,
                         const float *params, const cat_dataset *data,
                         const int64_t *index, int64_t count) {
  const cat_model *model = runner->model;
  cat_metrics metrics = {0};
  double loss_sum = 0;
  cat_scores_reset(scores);
  for (int64_t start = 0; start < count; start += (int64_t)runner->capacity) {
    size_t n = (size_t)(count - start) < runner->capacity
                   ? (size_t)(count - start) : runner->capacity;
    cat_runner_gather(runner, data, index + start, n);
    run(runner, RUN_EVALUATE, params, NULL, n);
    for (size_t i = 0; i < n; ++i)
      loss_sum += runner->losses[i];
    cat_scores_add(scores, model, runner->outputs, runner->targets, n);
  }
  metrics.loss = count > 0 ? loss_sum / (double)count : NAN;
  metrics.examples = count;
  cat_scores_finish(scores, &metrics);
  return metrics;
}

int cat_model_has_heads(const cat_model *model) {
  return model->heads_magic == CAT_HEADS_MAGIC && model->num_heads == 2 &&
         model->head_losses;
}

void cat_evaluate_heads(cat_runner *runner, const float *params,
                        const cat_dataset *data, const int64_t *index,
                        int64_t count, cat_metrics *m) {
  const cat_model *model = runner->model;
  if (!cat_model_has_heads(model) || count <= 0)
    return;
  float *losses[2];
  double sums[2] = {0, 0};
  for (int h = 0; h < 2; ++h)
    losses[h] = cat_xaligned(runner->capacity * sizeof(float));
  for (int64_t start = 0; start < count; start += (int64_t)runner->capacity) {
    size_t n = (size_t)(count - start) < runner->capacity
                   ? (size_t)(count - start) : runner->capacity;
    cat_runner_gather(runner, data, index + start, n);
    run(runner, RUN_HEADS, params, losses, n);
    for (int h = 0; h < 2; ++h)
      for (size_t i = 0; i < n; ++i)
        sums[h] += losses[h][i];
  }
  m->num_heads = 2;
  for (int h = 0; h < 2; ++h) {
    m->head_loss[h] = sums[h] / (double)count;
    free(losses[h]);
  }
}

int64_t *cat_identity_index(int64_t count) {
  int64_t *index = cat_xcalloc((size_t)count, sizeof *index);
  for (int64_t i = 0; i < count; ++i)
    index[i] = i;
  return index;
}
