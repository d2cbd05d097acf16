/*===- train.c - The `train` command: the training loop ------------------===*
 *
 * Loads the data, holds out the validation fraction after one seeded
 * shuffle, then runs `epochs` passes of mini-batch steps over a freshly
 * shuffled training set, evaluating train and validation loss/accuracy
 * after every epoch, and finally writes the checkpoint. Every random choice
 * comes from one generator seeded with the train block's seed, so a run is
 * reproducible bit for bit.
 *
 * The step is the generated train_step, unless the learning rate was
 * overridden on the command line: then the runtime's optimizer.c performs
 * the same update around the model's loss_grad with the new rate.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct trainer {
  const cat_model *model;
  const cat_options *opts;
  cat_train_config config;
  cat_dataset data;
  cat_classes classes;
  int64_t *order;          /* [0, train_count) train, the rest validation */
  int64_t train_count, val_count;
  size_t batch;
  float *params, *opt_state, *grad;
  int runtime_optimizer;   /* step with optimizer.c instead of train_step */
  cat_runner runner;
  cat_rng rng;
} trainer;

static int load_start(trainer *t) {
  const cat_model *model = t->model;
  t->params = cat_xaligned((size_t)model->param_count * sizeof(float));
  if (!t->opts->init) {
    model->init(t->params, t->config.seed);
    return 0;
  }
  /* The class names of --init weights fix the labels of the data. */
  return cat_checkpoint_load(model, t->opts->init, t->params, &t->classes,
                             NULL);
}

static int load_data(trainer *t) {
  char *path = cat_data_path(&t->config, t->opts->data);
  if (!path)
    return -1;
  int status = cat_load_csv(t->model, &t->config, path, CAT_TARGETS_REQUIRED,
                            &t->classes, &t->data);
  free(path);
  return status;
}

static int split_data(trainer *t) {
  int64_t count = t->data.count;
  t->order = cat_identity_index(count);
  cat_rng_shuffle(&t->rng, t->order, count);
  t->val_count = (int64_t)floor((double)count * t->config.validation);
  t->train_count = count - t->val_count;
  if (t->train_count < 1) {
    cat_error("validation fraction %g leaves no training examples out of %lld",
              t->config.validation, (long long)count);
    return -1;
  }
  int64_t batch = t->config.batch;
  t->batch = (size_t)(batch <= 0 || batch > t->train_count ? t->train_count
                                                            : batch);
  return 0;
}

static int choose_step(trainer *t) {
  const cat_model *model = t->model;
  const cat_train_config *block = model->train;
  t->runtime_optimizer = !model->train_step ||
                         (t->opts->has_lr && (!block || block->lr != t->opts->lr));
  if (t->runtime_optimizer && !model->loss_grad) {
    cat_error("'%s' has no training step or gradient to train with",
              model->morphism);
    return -1;
  }
  size_t state = t->runtime_optimizer
                     ? cat_optimizer_state_count(model, &t->config)
                     : (size_t)model->opt_state_count;
  t->opt_state = cat_xaligned(state * sizeof(float));
  t->grad = cat_xaligned((size_t)model->param_count * sizeof(float));
  return 0;
}

/* One pass over the shuffled training set; returns non-zero if the loss
 * stopped being a number. */
static int run_epoch(trainer *t, int64_t epoch) {
  cat_rng_shuffle(&t->rng, t->order, t->train_count);
  for (int64_t start = 0; start < t->train_count; start += (int64_t)t->batch) {
    size_t n = (size_t)(t->train_count - start) < t->batch
                   ? (size_t)(t->train_count - start) : t->batch;
    cat_runner_gather(&t->runner, &t->data, t->order + start, n);
    float loss = t->runtime_optimizer
        ? cat_optimizer_step(t->model, &t->config, t->params, t->opt_state,
                             t->grad, &t->runner, n)
        : t->model->train_step(t->params, t->opt_state, t->runner.inputs,
                               t->runner.targets, n, t->runner.workspace);
    if (!isfinite(loss)) {
      cat_error("the loss became %g in epoch %lld; try a smaller learning "
                "rate (--lr)", (double)loss, (long long)epoch);
      return -1;
    }
  }
  return 0;
}

static void measure(trainer *t, cat_metrics *train, cat_metrics *val) {
  *train = cat_evaluate(&t->runner, t->params, &t->data, t->order,
                        t->train_count);
  *val = cat_evaluate(&t->runner, t->params, &t->data,
                      t->order + t->train_count, t->val_count);
}

static int run_training(trainer *t) {
  cat_progress progress;
  cat_metrics train = {0}, val = {0};
  cat_progress_begin(&progress, t->model, t->train_count, t->val_count,
                     t->config.epochs, t->opts->quiet);
  for (int64_t epoch = 1; epoch <= t->config.epochs; ++epoch) {
    if (run_epoch(t, epoch) != 0)
      return -1;
    measure(t, &train, &val);
    cat_progress_epoch(&progress, epoch, &train, &val);
  }
  if (t->config.epochs == 0)
    measure(t, &train, &val);
  char *path = t->opts->out ? cat_xstrdup(t->opts->out)
                            : cat_default_checkpoint_path(t->model);
  int status = cat_checkpoint_save(t->model, t->params, &t->classes,
                                   t->config.epochs, path);
  if (status == 0)
    cat_progress_end(&progress, path, &train, &val);
  free(path);
  return status;
}

static void free_trainer(trainer *t) {
  if (t->runner.model)
    cat_runner_free(&t->runner);
  cat_dataset_free(&t->data);
  cat_classes_free(&t->classes);
  free(t->order);
  free(t->params);
  free(t->opt_state);
  free(t->grad);
}

int cat_cmd_train(const cat_model *model, const cat_options *opts) {
  trainer t;
  memset(&t, 0, sizeof t);
  t.model = model;
  t.opts = opts;
  cat_effective_config(model, opts, &t.config);
  cat_rng_seed(&t.rng, t.config.seed);
  int status = load_start(&t);
  if (status == 0) status = load_data(&t);
  if (status == 0) status = split_data(&t);
  if (status == 0) status = choose_step(&t);
  if (status == 0) {
    cat_runner_init(&t.runner, model, t.batch);
    status = run_training(&t);
  }
  free_trainer(&t);
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}
