/*===- train.c - The `train` command: the training loop ------------------===*
 *
 * Loads the data, holds out the validation fraction after one seeded
 * shuffle, then runs `epochs` passes of mini-batch steps over a freshly
 * shuffled training set, and finally writes the checkpoint. An epoch's
 * training loss and metrics come from its steps, as in a PyTorch loop: the
 * mean of the step losses weighted by batch size, and the metrics of each
 * step's own predictions (before its update), so the training split is
 * never evaluated again; the validation split is evaluated after every
 * epoch. Every random choice comes from one generator seeded with the
 * train block's seed, so a run is reproducible bit for bit.
 *
 * Each epoch shuffles the training indices starting from the order the
 * split left them in, so an epoch's batches depend only on the generator's
 * state before it. A checkpoint stores that state with the optimizer's, the
 * epoch and the batches done, which is all --resume needs to continue a run
 * (even one stopped by SIGINT mid-epoch) and end with the same bytes as an
 * uninterrupted one.
 *
 * The step is the generated train_step (train_step_outputs when the
 * metrics need the predictions); before each, the runtime writes the
 * step's hyperparameters into the optimizer state's header (the schedule's
 * learning rate, --lr, --weight-decay, --clip), so one optimizer, the
 * compiled one, does every update. A descriptor without the `_outputs`
 * functions gets the predictions from one more forward pass on the batch
 * before the step.
 *
 * Data parallelism (docs/scaling.md): a batch of n examples splits into
 * min(--shards, n / CAT_MIN_SHARD) shards of equal size (the first n mod K
 * one example larger), a decomposition fixed by the batch and --shards
 * alone. Each shard's gradient is computed on its own (shard_grad, on the
 * pool's threads and across MPI ranks), the shards' gradients are summed
 * along a fixed pairwise tree, and one optimizer step (apply_gradient)
 * follows; the same bytes for any number of threads or ranks. A batch of
 * one shard is the fused train_step, as before shards existed. Every rank
 * of an MPI job keeps the same state; rank 0 alone prints and writes.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The data-parallel step's buffers, sized for the largest batch. */
typedef struct sharder {
  int64_t max_shards;      /* --shards */
  int64_t capacity;        /* shards of the largest batch, at most */
  size_t stride;           /* floats per shard gradient (P, 64-byte rounded) */
  float *grads;            /* capacity x stride */
  float *losses;           /* each shard's mean loss */
  void **views;            /* per shard: its inputs, targets, outputs */
  void **workspaces;       /* per thread, for the largest shard */
} sharder;

typedef struct trainer {
  const cat_model *model;
  const cat_options *opts;
  cat_train_config config;
  cat_dataset data;
  cat_classes classes;
  int64_t *order;          /* [0, train_count) train, the rest validation */
  int64_t *split;          /* the training indices as the split left them */
  int64_t train_count, val_count;
  size_t batch;
  float *params, *opt_state;
  int64_t opt_count;
  int64_t steps_per_epoch;
  int scored;              /* metrics beyond the loss: the steps keep their
                              outputs */
  /* The current epoch's steps so far (of a resumed epoch: those it ran). */
  double loss_sum;         /* step loss times batch size */
  int64_t examples;
  cat_scores scores;       /* of the steps' predictions */
  cat_scores val_scores;   /* of the validation split, after each epoch */
  cat_runner runner;
  cat_rng rng;
  cat_train_state resume;  /* from --resume, else zero */
  /* Early stopping (config.patience > 0): the best epoch's record and
   * snapshot (has_best, best_epoch, best_val_loss, stale_epochs, best_rng,
   * best: parameters, then optimizer state), and its metrics when this run
   * saw it. */
  cat_train_state best;
  cat_metrics best_train, best_val;
  int best_seen;
  char *out;               /* where the checkpoint goes */
  cat_progress progress;
  sharder shards;
  cat_pool *pool;          /* --threads; NULL: one */
  int rank, ranks;         /* MPI: this process's rank of `ranks` */
  int failed;              /* the ranks could not exchange a step's shards */
} trainer;

/*--- SIGINT: finish the step, save, exit 130 -----------------------------*/

static volatile sig_atomic_t interrupted;

static void on_sigint(int signo) {
  (void)signo;
  interrupted = 1;
  /* A second Ctrl-C stops at once: the checkpoint on disk stays intact
   * because it is only ever replaced by rename. */
  signal(SIGINT, SIG_DFL);
}

/* An MPI job's ranks are stopped with SIGTERM by mpirun when it gets a
 * Ctrl-C: they save like a lone process does on SIGINT. */
static void catch_sigint(int on, int ranks) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on ? on_sigint : SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
  if (ranks > 1)
    sigaction(SIGTERM, &action, NULL);
  interrupted = 0;
}

/* Whether any rank was interrupted: all of them stop after the same step. */
static int any_interrupted(const trainer *t) {
  return t->ranks > 1 ? cat_comm_any(interrupted) : interrupted != 0;
}

/*--- setting up ----------------------------------------------------------*/

/* A resumed run continues with the settings it ran with (its flags
 * included), except those given again; --epochs is the new total. */
static void keep_settings(trainer *t) {
  const cat_options *o = t->opts;
  const cat_train_config *saved = &t->resume.loaded;
  cat_train_config *c = &t->config;
  if (!t->resume.has_settings)
    return;
  if (!o->has_lr) c->lr = saved->lr;
  if (!o->has_weight_decay) c->weight_decay = saved->weight_decay;
  if (!o->has_clip) c->clip = saved->clip;
  if (!o->has_schedule) {
    c->schedule = saved->schedule;
    c->schedule_every = saved->schedule_every;
    c->schedule_gamma = saved->schedule_gamma;
  }
  if (!o->has_batch) c->batch = saved->batch;
  if (!o->has_validation) c->validation = saved->validation;
  if (!o->has_patience) c->patience = saved->patience;
}

/* --shards, else the resumed run's (1 for a checkpoint from before shards:
 * every batch was one then), else the default. */
static int64_t choose_shards(const trainer *t) {
  if (t->model->shards_magic != CAT_SHARDS_MAGIC || !t->model->shard_grad)
    return 1;  /* a descriptor without shard_grad: one shard, always */
  if (t->opts->has_shards)
    return t->opts->shards;
  if (t->opts->resume && t->resume.has_settings)
    return t->resume.shards > 0 ? t->resume.shards : 1;
  return CAT_DEFAULT_SHARDS;
}

static int load_start(trainer *t) {
  const cat_model *model = t->model;
  t->params = cat_xaligned((size_t)model->param_count * sizeof(float));
  /* The class names of saved weights fix the labels of the data. */
  if (t->opts->resume) {
    if (cat_checkpoint_load(model, t->opts->resume, t->params, &t->classes,
                            &t->resume) != 0)
      return -1;
    if (t->resume.opt_count == 0) {
      cat_error("%s: the checkpoint has no optimizer state to resume from "
                "(use --init to start a new run from its weights)",
                t->opts->resume);
      return -1;
    }
    t->config.seed = t->resume.seed;  /* the same split as the first run */
    keep_settings(t);
    return 0;
  }
  if (t->opts->init)
    return cat_checkpoint_load(model, t->opts->init, t->params, &t->classes,
                               NULL);
  /* Weights compiled in are where training starts (fine-tuning), unless a
   * seed asks for a fresh initialisation. */
  if (cat_baked_weights(model) && !t->opts->has_seed)
    return cat_load_weights(model, NULL, t->params, &t->classes);
  model->init(t->params, t->config.seed);
  return 0;
}

static int load_data(trainer *t) {
  char *path = cat_data_path(&t->config, t->opts->data);
  if (!path)
    return -1;
  int status = cat_load_data(t->model, &t->config, path, CAT_TARGETS_REQUIRED,
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
  t->split = cat_xcalloc((size_t)t->train_count, sizeof *t->split);
  memcpy(t->split, t->order, (size_t)t->train_count * sizeof *t->split);
  int64_t batch = t->config.batch;
  t->batch = (size_t)(batch <= 0 || batch > t->train_count ? t->train_count
                                                            : batch);
  return 0;
}

static int64_t snapshot_floats(const trainer *t);

static int restore_optimizer(trainer *t) {
  if (!t->opts->resume)
    return 0;
  if (t->resume.opt_count != t->opt_count) {
    cat_error("%s: the checkpoint's optimizer state has %lld floats, this "
              "run's optimizer needs %lld", t->opts->resume,
              (long long)t->resume.opt_count, (long long)t->opt_count);
    return -1;
  }
  memcpy(t->opt_state, t->resume.opt_state,
         (size_t)t->opt_count * sizeof(float));
  t->rng = t->resume.rng;
  if (t->resume.has_best) {
    if (t->resume.best_count != snapshot_floats(t)) {
      cat_error("%s: the early-stopping snapshot has %lld floats, this model "
                "needs %lld", t->opts->resume, (long long)t->resume.best_count,
                (long long)snapshot_floats(t));
      return -1;
    }
    t->best = t->resume;  /* the record; the snapshot changes hands */
    t->resume.best = NULL;
    t->best.opt_state = NULL;
  }
  return 0;
}

static int choose_step(trainer *t) {
  const cat_model *model = t->model;
  if (!model->train_step || model->opt_state_count < CAT_OPT_HEADER) {
    cat_error("'%s' has no training step to train with", model->morphism);
    return -1;
  }
  t->opt_count = model->opt_state_count;
  t->steps_per_epoch = (t->train_count + (int64_t)t->batch - 1) / (int64_t)t->batch;
  if (t->config.patience > 0 && t->val_count == 0) {
    cat_error("early stopping (patience %lld) watches the validation loss, "
              "but there is no validation split; set validation = 0.2 in the "
              "train block or pass --validation 0.2",
              (long long)t->config.patience);
    return -1;
  }
  t->opt_state = cat_xaligned((size_t)t->opt_count * sizeof(float));
  cat_scores_init(&t->scores, model);
  cat_scores_init(&t->val_scores, model);
  t->scored = t->scores.kind != CAT_LOSS_OTHER;
  return restore_optimizer(t);
}

/*--- data parallelism ------------------------------------------------------*/

/* Shards of a batch of n: as many as the run's --shards allows with at
 * least CAT_MIN_SHARD examples each. */
static int64_t shard_count(const trainer *t, int64_t n) {
  int64_t k = n / CAT_MIN_SHARD;
  if (k > t->shards.max_shards)
    k = t->shards.max_shards;
  return k < 1 ? 1 : k;
}

/* The first example of shard s of k of a batch of n (s = k: n). */
static int64_t shard_start(int64_t n, int64_t k, int64_t s) {
  return s * (n / k) + (s < n % k ? s : n % k);
}

/* The shards of [0, k) rank r of `ranks` computes: [lo, hi). */
static int64_t rank_first_shard(int64_t k, int r, int ranks) {
  return (int64_t)r * k / ranks;
}

static void init_sharder(trainer *t) {
  sharder *sh = &t->shards;
  const cat_model *model = t->model;
  int64_t batch = (int64_t)t->batch, largest = 1;
  sh->capacity = 1;
  for (int64_t n = 1; n <= batch; ++n) {  /* the largest shard of any batch */
    int64_t k = shard_count(t, n);
    int64_t size = shard_start(n, k, 1) - shard_start(n, k, 0);
    largest = size > largest ? size : largest;
    sh->capacity = k > sh->capacity ? k : sh->capacity;
  }
  if (sh->capacity == 1)
    return;  /* every batch is one shard: the fused train_step */
  int threads = cat_pool_threads(t->pool);
  sh->stride = ((size_t)model->param_count + 15) / 16 * 16;
  sh->grads = cat_xaligned((size_t)sh->capacity * sh->stride * sizeof(float));
  sh->losses = cat_xcalloc((size_t)sh->capacity, sizeof(float));
  int32_t factors = model->num_inputs + model->num_targets + model->num_outputs;
  sh->views = cat_xcalloc((size_t)(sh->capacity * (factors ? factors : 1)), sizeof(void *));
  sh->workspaces = cat_xcalloc((size_t)threads, sizeof(void *));
  for (int i = 0; i < threads; ++i)
    sh->workspaces[i] = cat_xaligned(model->workspace_size((size_t)largest));
}

static void free_sharder(sharder *sh, int threads) {
  for (int i = 0; sh->workspaces && i < threads; ++i)
    free(sh->workspaces[i]);
  free(sh->workspaces);
  free(sh->views);
  free(sh->losses);
  free(sh->grads);
  memset(sh, 0, sizeof *sh);
}

/* One step's shards, as the pool's job sees them. */
typedef struct shard_job {
  trainer *t;
  const int64_t *index;       /* the batch's examples in the data set */
  int64_t n, k, first, last;  /* this rank computes shards [first, last) */
  int outputs;                /* shard_grad_outputs */
  int64_t next;               /* the next shard to take (atomic) */
} shard_job;

/* Points shard s's views at its rows of the runner's batch buffers. */
static void **shard_views(const shard_job *job, int64_t s) {
  const cat_model *model = job->t->model;
  const cat_runner *r = &job->t->runner;
  int32_t factors = model->num_inputs + model->num_targets + model->num_outputs;
  void **views = job->t->shards.views + s * (factors ? factors : 1);
  size_t row = (size_t)shard_start(job->n, job->k, s);
  int32_t v = 0;
  for (int32_t f = 0; f < model->num_inputs; ++f)
    views[v++] = (char *)r->inputs[f] + row * (size_t)model->inputs[f].size * 4;
  for (int32_t f = 0; f < model->num_targets; ++f)
    views[v++] = (char *)r->targets[f] + row * (size_t)model->targets[f].size * 4;
  for (int32_t f = 0; f < model->num_outputs; ++f)
    views[v++] = (char *)r->outputs[f] + row * (size_t)model->outputs[f].size * 4;
  return views;
}

/* Each thread takes the next of this rank's shards until none is left:
 * a thread the system holds up costs the others only its current shard.
 * Which thread computes a shard changes nothing in its results. */
static void compute_shards(void *arg, int thread, int threads) {
  shard_job *job = arg;
  trainer *t = job->t;
  const cat_model *model = t->model;
  sharder *sh = &t->shards;
  (void)threads;
  for (;;) {
    int64_t s = job->first + __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    if (s >= job->last)
      break;
    /* The shard's examples are copied by the thread that computes it, in
     * parallel and into that core's cache. */
    size_t row = (size_t)shard_start(job->n, job->k, s);
    size_t n = (size_t)shard_start(job->n, job->k, s + 1) - row;
    cat_runner_gather_rows(&t->runner, &t->data, job->index, row, n);
    void **views = shard_views(job, s);
    void *const *inputs = views, *const *targets = views + model->num_inputs;
    void *const *outputs = targets + model->num_targets;
    float *grad = sh->grads + (size_t)s * sh->stride;
    void *ws = sh->workspaces[thread];
    sh->losses[s] = job->outputs
        ? model->shard_grad_outputs(t->params, t->opt_state, inputs, targets, outputs, grad,
                                    n, (size_t)job->n, (size_t)s, ws)
        : model->shard_grad(t->params, t->opt_state, inputs, targets, grad, n,
                            (size_t)job->n, (size_t)s, ws);
  }
}

/* Thread `thread` sums its slice of the k shard gradients into shard 0's,
 * pairwise: g0 += g1, g2 += g3, ...; then g0 += g2, g4 += g6, ...; a tree
 * fixed by k, so the sum's bits do not depend on who adds. */
static void sum_shards(void *arg, int thread, int threads) {
  const shard_job *job = arg;
  const sharder *sh = &job->t->shards;
  size_t floats = (size_t)job->t->model->param_count;
  size_t slice = (floats + (size_t)threads - 1) / (size_t)threads;
  slice = (slice + 15) / 16 * 16;
  size_t lo = (size_t)thread * slice, hi = lo + slice < floats ? lo + slice : floats;
  for (int64_t step = 1; step < job->k; step *= 2)
    for (int64_t s = 0; s + step < job->k; s += 2 * step) {
      float *to = sh->grads + (size_t)s * sh->stride;
      const float *from = sh->grads + (size_t)(s + step) * sh->stride;
      for (size_t i = lo; i < hi; ++i)
        to[i] += from[i];
    }
}

/* Every rank's shards, their gradients and losses (and outputs), on every
 * rank. */
static int exchange_shards(trainer *t, const shard_job *job) {
  sharder *sh = &t->shards;
  const cat_model *model = t->model;
  size_t *bytes = cat_xcalloc((size_t)t->ranks, sizeof *bytes);
  int status = 0;
  /* Gradients, then losses: each rank's block of consecutive shards. */
  for (int part = 0; part < 2 && status == 0; ++part) {
    size_t unit = part == 0 ? sh->stride * sizeof(float) : sizeof(float);
    char *all = part == 0 ? (char *)sh->grads : (char *)sh->losses;
    for (int r = 0; r < t->ranks; ++r)
      bytes[r] = (size_t)(rank_first_shard(job->k, r + 1, t->ranks) -
                          rank_first_shard(job->k, r, t->ranks)) * unit;
    status = cat_comm_allgather(all + (size_t)job->first * unit, all, bytes);
  }
  /* The outputs the metrics score: each rank's rows of every factor. */
  for (int32_t f = 0; job->outputs && f < model->num_outputs && status == 0; ++f) {
    size_t unit = (size_t)model->outputs[f].size * 4;
    for (int r = 0; r < t->ranks; ++r)
      bytes[r] = (size_t)(shard_start(job->n, job->k, rank_first_shard(job->k, r + 1, t->ranks)) -
                          shard_start(job->n, job->k, rank_first_shard(job->k, r, t->ranks))) * unit;
    char *all = t->runner.outputs[f];
    status = cat_comm_allgather(all + (size_t)shard_start(job->n, job->k, job->first) * unit,
                                all, bytes);
  }
  free(bytes);
  return status;
}

/* A step over a batch of n > one shard: the shards' gradients, summed,
 * then one optimizer step. Returns the batch's mean loss, or NAN after a
 * failed exchange (with the error printed). */
static float sharded_step(trainer *t, const int64_t *index, int64_t n, int64_t k,
                          int outputs) {
  sharder *sh = &t->shards;
  shard_job job = {t, index, n, k, rank_first_shard(k, t->rank, t->ranks),
                   rank_first_shard(k, t->rank + 1, t->ranks), outputs, 0};
  cat_pool_run(t->pool, compute_shards, &job);
  /* The rows of other ranks' shards: their targets, for the metrics. */
  if (t->ranks > 1 && outputs) {
    size_t mine = (size_t)shard_start(n, k, job.first);
    size_t end = (size_t)shard_start(n, k, job.last);
    cat_runner_gather_rows(&t->runner, &t->data, index, 0, mine);
    cat_runner_gather_rows(&t->runner, &t->data, index, end, (size_t)n - end);
  }
  if (t->ranks > 1 && exchange_shards(t, &job) != 0) {
    t->failed = 1;
    return NAN;
  }
  /* Summing is memory-bound: a small model's is faster on one thread
   * than the threads' hand-over. */
  if (t->model->param_count >= 65536)
    cat_pool_run(t->pool, sum_shards, &job);
  else
    sum_shards(&job, 0, 1);
  t->model->apply_gradient(t->params, t->opt_state, sh->grads);
  double loss = 0;
  for (int64_t s = 0; s < k; ++s)
    loss += (double)sh->losses[s] * (double)(shard_start(n, k, s + 1) - shard_start(n, k, s));
  return (float)(loss / (double)n);
}

/*--- the loop ------------------------------------------------------------*/

static int save(trainer *t, int64_t epoch, int64_t batch, const cat_rng *rng) {
  if (t->rank != 0)
    return 0;  /* every rank holds the same state; one writes it */
  cat_train_state state = t->best;  /* the early-stopping record, if any */
  state.epoch = epoch;
  state.batch = batch;
  state.seed = t->config.seed;
  state.rng = *rng;
  state.optimizer = t->config.optimizer;
  state.opt_count = t->opt_count;
  state.opt_state = t->opt_state;
  state.settings = &t->config;
  state.shards = t->shards.max_shards;
  return cat_checkpoint_save(t->model, t->params, &t->classes, &state, t->out);
}

/*--- early stopping -------------------------------------------------------*/

static int64_t snapshot_floats(const trainer *t) {
  return t->model->param_count + t->opt_count;
}

/* After each epoch: a better validation loss becomes the best snapshot;
 * returns 1 when `patience` epochs in a row brought none. */
static int early_stop(trainer *t, int64_t epoch, const cat_metrics *train,
                      const cat_metrics *val) {
  cat_train_state *best = &t->best;
  if (best->has_best && !(val->loss < best->best_val_loss))
    return ++best->stale_epochs >= t->config.patience;
  int64_t params = t->model->param_count;
  if (!best->best) {
    best->best_count = snapshot_floats(t);
    best->best = cat_xcalloc((size_t)best->best_count, sizeof(float));
  }
  memcpy(best->best, t->params, (size_t)params * sizeof(float));
  memcpy(best->best + params, t->opt_state, (size_t)t->opt_count * sizeof(float));
  best->has_best = 1;
  best->best_epoch = epoch;
  best->best_val_loss = val->loss;
  best->stale_epochs = 0;
  best->best_rng = t->rng;  /* the generator before epoch + 1's shuffle */
  t->best_train = *train;
  t->best_val = *val;
  t->best_seen = 1;
  return 0;
}

/* Puts the best snapshot back: the run ends where its best epoch ended. */
static void restore_best(trainer *t) {
  int64_t params = t->model->param_count;
  memcpy(t->params, t->best.best, (size_t)params * sizeof(float));
  memcpy(t->opt_state, t->best.best + params, (size_t)t->opt_count * sizeof(float));
  t->rng = t->best.best_rng;
  t->best.stale_epochs = 0;
}

/* The learning rate of optimizer step `step` (from 0) of `total`, as
 * PyTorch's schedulers give it when stepped after every optimizer step:
 * StepLR, and for cosine a linear warm-up then CosineAnnealingLR to 0. */
double cat_scheduled_lr(const cat_train_config *config, int64_t step,
                        int64_t total) {
  double lr = config->lr;
  if (config->schedule == CAT_SCHEDULE_STEP && config->schedule_every > 0) {
    for (int64_t k = step / config->schedule_every; k > 0; --k)
      lr *= (double)config->schedule_gamma;
    return lr;
  }
  if (config->schedule == CAT_SCHEDULE_COSINE) {
    int64_t warmup = config->schedule_every;
    if (step < warmup)
      return lr * (double)(step + 1) / (double)warmup;
    int64_t span = total - warmup;
    if (span <= 0)
      return lr;
    double done = (double)(step - warmup) / (double)span;
    return lr * 0.5 * (1.0 + cos(3.14159265358979323846 * (done < 1 ? done : 1)));
  }
  return lr;
}

/* The compiled step reads this step's hyperparameters from the optimizer
 * state's header: the schedule's learning rate and the flags' values. */
static void choose_hyperparameters(trainer *t) {
  float *header = t->opt_state;
  uint32_t taken;
  memcpy(&taken, &header[CAT_OPT_STEP], sizeof taken);
  int64_t step = taken;
  int64_t total = t->steps_per_epoch * t->config.epochs;
  header[CAT_OPT_CHOSEN] = 1;
  header[CAT_OPT_LR] = (float)cat_scheduled_lr(&t->config, step, total);
  header[CAT_OPT_WEIGHT_DECAY] = t->config.weight_decay;
  header[CAT_OPT_CLIP] = t->config.clip;
  uint32_t seed = (uint32_t)t->config.seed;
  memcpy(&header[CAT_OPT_SEED], &seed, sizeof seed);
}

/* The fused step on the whole batch (one shard). */
static float whole_step(trainer *t, size_t n) {
  const cat_model *model = t->model;
  cat_runner *r = &t->runner;
  if (t->scored && cat_model_has_output_steps(model) && model->train_step_outputs)
    return model->train_step_outputs(t->params, t->opt_state, r->inputs, r->targets,
                                     r->outputs, n, r->workspace);
  if (t->scored)  /* a descriptor without train_step_outputs */
    model->forward(t->params, r->inputs, r->outputs, n, r->workspace);
  return model->train_step(t->params, t->opt_state, r->inputs, r->targets, n,
                           r->workspace);
}

static float step(trainer *t, int64_t start) {
  const cat_model *model = t->model;
  cat_runner *r = &t->runner;
  size_t n = (size_t)(t->train_count - start) < t->batch
                 ? (size_t)(t->train_count - start) : t->batch;
  choose_hyperparameters(t);
  float loss;
  int64_t shards = shard_count(t, (int64_t)n);
  if (shards > 1) {
    loss = sharded_step(t, t->order + start, (int64_t)n, shards,
                        t->scored && model->shard_grad_outputs);
  } else {
    cat_runner_gather(r, &t->data, t->order + start, n);
    loss = whole_step(t, n);
  }
  if (t->failed)
    return loss;
  t->loss_sum += (double)loss * (double)n;
  t->examples += (int64_t)n;
  if (t->scored)
    cat_scores_add(&t->scores, model, r->outputs, r->targets, n);
  cat_progress_step(&t->progress, start + (int64_t)n, loss);
  return loss;
}

/* Saves where the run stands after batch `done` of `epoch` and reports. */
static int stop_interrupted(trainer *t, int64_t epoch, int64_t done,
                            const cat_rng *before) {
  int64_t batches = (t->train_count + (int64_t)t->batch - 1) / (int64_t)t->batch;
  int status = done == batches ? save(t, epoch, 0, &t->rng)
                               : save(t, epoch - 1, done, before);
  if (status != 0)
    return -1;
  if (t->rank == 0)  /* which saved */
    cat_progress_interrupted(&t->progress, t->out, epoch, done);
  return CAT_EXIT_INTERRUPTED;
}

/* One pass over the shuffled training set, from batch `skip` (a resumed
 * run). Returns 0, -1 after divergence, or CAT_EXIT_INTERRUPTED. */
static int run_epoch(trainer *t, int64_t epoch, int64_t skip) {
  cat_rng before = t->rng;
  t->loss_sum = 0;
  t->examples = 0;
  cat_scores_reset(&t->scores);
  memcpy(t->order, t->split, (size_t)t->train_count * sizeof *t->order);
  cat_rng_shuffle(&t->rng, t->order, t->train_count);
  int64_t done = skip;
  for (int64_t start = skip * (int64_t)t->batch; start < t->train_count;
       start += (int64_t)t->batch) {
    float loss = step(t, start);
    ++done;
    if (t->failed)
      return -1;
    if (!isfinite(loss)) {
      cat_error("the loss became %s in epoch %lld, batch %lld; stopped without "
                "writing %s (try a smaller learning rate, --lr)",
                isnan(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf",
                (long long)epoch, (long long)done, t->out);
      return -1;
    }
    int stop = any_interrupted(t);
    if (stop < 0)
      return -1;
    if (stop)
      return stop_interrupted(t, epoch, done, &before);
  }
  return 0;
}

/* The epoch's training metrics, from its steps. */
static cat_metrics epoch_metrics(const trainer *t) {
  cat_metrics m = {0};
  m.loss = t->loss_sum / (double)t->examples;
  m.examples = t->examples;
  cat_scores_finish(&t->scores, &m);
  return m;
}

static cat_metrics validate(trainer *t) {
  cat_metrics m = cat_evaluate(&t->runner, &t->val_scores, t->params, &t->data,
                               t->order + t->train_count, t->val_count);
  cat_evaluate_heads(&t->runner, t->params, &t->data, t->order + t->train_count,
                     t->val_count, &m);
  return m;
}

static int run_training(trainer *t) {
  cat_metrics train = {0}, val = {0};
  int64_t first = t->resume.epoch + 1, skip = t->resume.batch;
  t->progress.first_epoch = first;
  if (cat_progress_begin(&t->progress, t->model, t->train_count, t->val_count,
                         t->rank == 0 ? t->opts->log : NULL,
                         t->opts->resume != NULL) != 0)
    return -1;
  /* Where the weights come from when not from a fresh initialisation. */
  if (!t->progress.quiet && !t->opts->resume) {
    if (t->opts->init)
      printf("starting from the weights in %s\n", t->opts->init);
    else if (cat_baked_weights(t->model) && !t->opts->has_seed)
      printf("starting from the weights compiled in from %s\n", t->model->weights_file);
  }
  int64_t stopped = 0;
  for (int64_t epoch = first; epoch <= t->config.epochs; ++epoch, skip = 0) {
    int status = run_epoch(t, epoch, skip);
    if (status != 0)
      return status;
    train = epoch_metrics(t);
    val = validate(t);
    cat_progress_epoch(&t->progress, epoch, &train, &val);
    if (t->config.patience > 0 && early_stop(t, epoch, &train, &val)) {
      stopped = epoch;
      break;
    }
  }
  /* The summary repeats the last epoch's line. Without any step (--epochs
   * 0, or resuming a finished run) there are no step metrics: the weights
   * are evaluated on the training split instead. */
  if (first > t->config.epochs) {
    train = cat_evaluate(&t->runner, &t->scores, t->params, &t->data, t->order,
                         t->train_count);
    val = validate(t);
  }
  int64_t epochs = first > t->config.epochs ? first - 1 : t->config.epochs;
  if (t->config.patience > 0 && t->best.has_best) {
    /* The checkpoint keeps the best epoch: its weights, optimizer state and
     * generator, so that resuming it repeats the same run. */
    restore_best(t);
    epochs = t->best.best_epoch;
    if (t->best_seen) {
      train = t->best_train;
      val = t->best_val;
    } else {  /* the best came with --resume: measure its weights */
      train = cat_evaluate(&t->runner, &t->scores, t->params, &t->data,
                           t->order, t->train_count);
      val = validate(t);
    }
    cat_progress_early_stop(&t->progress, stopped, t->config.patience,
                            epochs, val.loss);
  }
  if (save(t, epochs, 0, &t->rng) != 0)
    return -1;
  cat_progress_end(&t->progress, t->out, epochs, &train, &val);
  return 0;
}

static void free_trainer(trainer *t) {
  if (t->runner.model)
    cat_runner_free(&t->runner);
  cat_progress_close(&t->progress);
  cat_dataset_free(&t->data);
  cat_scores_free(&t->scores);
  cat_scores_free(&t->val_scores);
  cat_classes_free(&t->classes);
  free(t->order);
  free(t->split);
  free(t->params);
  free(t->opt_state);
  free(t->resume.opt_state);
  free(t->resume.best);
  free(t->best.best);
  free(t->out);
  free_sharder(&t->shards, cat_pool_threads(t->pool));
  cat_pool_stop(t->pool);
}

static void init_trainer(trainer *t, const cat_model *model,
                         const cat_options *opts) {
  memset(t, 0, sizeof *t);
  t->model = model;
  t->opts = opts;
  cat_effective_config(model, opts, &t->config);
  /* A resumed run writes back to its checkpoint unless told otherwise. */
  t->out = opts->out ? cat_xstrdup(opts->out)
           : opts->resume ? cat_xstrdup(opts->resume)
                          : cat_default_checkpoint_path(model);
  t->progress.quiet = opts->quiet || opts->json;
  t->progress.json = opts->json;
  t->progress.epochs = t->config.epochs;
  t->rank = cat_comm_rank();
  t->ranks = cat_comm_size();
}

int cat_cmd_train(const cat_model *model, const cat_options *opts) {
  trainer t;
  init_trainer(&t, model, opts);
  int status = load_start(&t);
  cat_rng_seed(&t.rng, t.config.seed);
  if (status == 0) status = load_data(&t);
  if (status == 0) status = split_data(&t);
  if (status == 0) status = choose_step(&t);
  /* Every rank sets up the same way; if one cannot, none goes on. */
  if (t.ranks > 1 && cat_comm_any(status != 0) != 0)
    status = -1;
  if (status == 0) {
    cat_runner_init(&t.runner, model, t.batch);
    t.pool = cat_pool_for(opts->threads);
    cat_runner_use_pool(&t.runner, t.pool);
    t.shards.max_shards = choose_shards(&t);
    init_sharder(&t);
    catch_sigint(1, t.ranks);
    status = run_training(&t);
    catch_sigint(0, t.ranks);
  }
  free_trainer(&t);
  if (status == CAT_EXIT_INTERRUPTED)
    return status;
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}
