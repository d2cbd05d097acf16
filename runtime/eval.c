/*===- eval.c - Running a model over a data set in batches ---------------===*
 *
 * A cat_runner owns everything the model's functions need for one batch:
 * contiguous per-factor buffers for inputs, targets and outputs, the
 * per-example losses and the workspace, all sized once for the largest
 * batch. Batches are gathered from a data set through an index array, which
 * is how shuffling and the validation split avoid copying the data set.
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

void cat_runner_free(cat_runner *runner) {
  const cat_model *model = runner->model;
  free_buffers(runner->inputs, model->num_inputs);
  free_buffers(runner->targets, model->num_targets);
  free_buffers(runner->outputs, model->num_outputs);
  free(runner->losses);
  free(runner->workspace);
  memset(runner, 0, sizeof *runner);
}

static void gather_factors(void **to, void *const *from,
                           const cat_factor *factors, int32_t count,
                           const int64_t *index, size_t n) {
  for (int32_t f = 0; f < count; ++f) {
    size_t bytes = (size_t)factors[f].size * 4;
    for (size_t i = 0; i < n; ++i)
      memcpy((char *)to[f] + i * bytes,
             (const char *)from[f] + (size_t)index[i] * bytes, bytes);
  }
}

void cat_runner_gather(cat_runner *runner, const cat_dataset *data,
                       const int64_t *index, size_t n) {
  const cat_model *model = runner->model;
  gather_factors(runner->inputs, data->inputs, model->inputs,
                 model->num_inputs, index, n);
  if (data->num_targets > 0)
    gather_factors(runner->targets, data->targets, model->targets,
                   model->num_targets, index, n);
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

int32_t cat_argmax(const float *scores, int64_t count) {
  int32_t best = 0;
  for (int64_t c = 1; c < count; ++c)
    if (scores[c] > scores[best])
      best = (int32_t)c;
  return best;
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
    model->evaluate(params, runner->inputs, runner->targets, runner->outputs,
                    runner->losses, n, runner->workspace);
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
    model->head_losses(params, runner->inputs, runner->targets,
                       (void *const *)losses, n, runner->workspace);
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
