/*===- gradcheck.c - The `gradcheck` command: gradients vs differences ---===*
 *
 * Compares the model's loss_grad with central finite differences of its
 * evaluate on a few examples of the data set, at the initial weights (or
 * --weights). It checks a handful of entries of every parameter tensor and
 * prints the worst relative error; exit status 1 when it exceeds the
 * tolerance, which float32 differences allow to be loose but not wrong.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CHECK_EXAMPLES = 8, ENTRIES_PER_TENSOR = 6 };
static const double STEP = 1e-2, TOLERANCE = 2e-2;

static double mean_loss(cat_runner *runner, const float *params, size_t n) {
  const cat_model *model = runner->model;
  model->evaluate(params, runner->inputs, runner->targets, runner->outputs,
                  runner->losses, n, runner->workspace);
  double sum = 0;
  for (size_t i = 0; i < n; ++i)
    sum += runner->losses[i];
  return sum / (double)n;
}

/* Relative error of one entry: analytic vs central difference. */
static double check_entry(cat_runner *runner, float *params, const float *grad,
                          int64_t at, size_t n) {
  float saved = params[at];
  params[at] = saved + (float)STEP;
  double up = mean_loss(runner, params, n);
  params[at] = saved - (float)STEP;
  double down = mean_loss(runner, params, n);
  params[at] = saved;
  double numeric = (up - down) / (2 * STEP), analytic = grad[at];
  return fabs(numeric - analytic) / fmax(1e-2, fabs(numeric) + fabs(analytic));
}

static double check_params(const cat_model *model, cat_runner *runner,
                           float *params, const float *grad, size_t n) {
  double worst = 0;
  for (int32_t t = 0; t < model->num_params; ++t) {
    const cat_param_info *param = &model->params[t];
    int64_t stride = param->size / ENTRIES_PER_TENSOR + 1;
    double tensor_worst = 0;
    for (int64_t e = 0; e < param->size; e += stride)
      tensor_worst = fmax(tensor_worst, check_entry(runner, params, grad,
                                                    param->offset + e, n));
    printf("  %-32s max relative error %.2e\n", param->name, tensor_worst);
    worst = fmax(worst, tensor_worst);
  }
  return worst;
}

static int run_check(const cat_model *model, float *params,
                     const cat_dataset *data) {
  size_t n = data->count < CHECK_EXAMPLES ? (size_t)data->count
                                          : CHECK_EXAMPLES;
  cat_runner runner;
  cat_runner_init(&runner, model, n);
  int64_t *index = cat_identity_index((int64_t)n);
  cat_runner_gather(&runner, data, index, n);
  float *grad = cat_xaligned((size_t)model->param_count * sizeof(float));
  model->loss_grad(params, runner.inputs, runner.targets, grad, n,
                   runner.workspace);
  double worst = check_params(model, &runner, params, grad, n);
  int ok = worst <= TOLERANCE;
  printf("gradcheck %s: max relative error %.2e (tolerance %.0e, %zu examples)\n",
         ok ? "passed" : "FAILED", worst, TOLERANCE, n);
  free(grad);
  free(index);
  cat_runner_free(&runner);
  return ok ? 0 : -1;
}

int cat_cmd_gradcheck(const cat_model *model, const cat_options *opts) {
  cat_train_config config;
  cat_classes classes = {0};
  cat_dataset data = {0};
  cat_effective_config(model, opts, &config);
  float *params = cat_xaligned((size_t)model->param_count * sizeof(float));
  int status = 0;
  if (opts->weights || cat_baked_weights(model))
    status = cat_load_weights(model, opts->weights, params, &classes);
  else
    model->init(params, config.seed);
  char *path = status == 0 ? cat_data_path(&config, opts->data) : NULL;
  status = path ? cat_load_data(model, &config, path, CAT_TARGETS_REQUIRED,
                               &classes, &data) : -1;
  if (status == 0 && !model->loss_grad) {
    cat_error("'%s' has no gradient function to check", model->morphism);
    status = -1;
  }
  if (status == 0)
    status = run_check(model, params, &data);
  cat_dataset_free(&data);
  cat_classes_free(&classes);
  free(path);
  free(params);
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}
