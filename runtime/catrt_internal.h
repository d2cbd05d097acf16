/*===- catrt_internal.h - Private interfaces between the runtime's files --===*
 *
 * The runtime is one .c file per concern (cli, data, train, checkpoint,
 * progress, json, rng, util); this header is how they talk to each other.
 * It is not installed: the only public interface is include/catrt.h. Every
 * function that can fail prints its own error (naming the file, line or flag
 * involved) and returns non-zero, so callers only propagate the status.
 *
 *===----------------------------------------------------------------------===*/
#ifndef CATRT_INTERNAL_H
#define CATRT_INTERNAL_H

#include "catrt.h"

#include <stdarg.h>
#include <stdio.h>

/* Exit statuses of generated executables. */
enum { CAT_EXIT_OK = 0, CAT_EXIT_ERROR = 1, CAT_EXIT_USAGE = 2,
       CAT_EXIT_INTERRUPTED = 130 /* 128 + SIGINT, as shells report it */ };

/*--- util.c: errors, allocation, growable strings, paths ------------------*/

/* Prints "error: <message>" on stderr. */
void cat_error(const char *fmt, ...);
/* Prints "warning: <message>" on stderr. */
void cat_warning(const char *fmt, ...);
/* Allocation that reports and exits on exhaustion: a run that cannot get
 * memory for its data cannot do anything useful. */
void *cat_xmalloc(size_t bytes);
void *cat_xcalloc(size_t count, size_t bytes);
void *cat_xrealloc(void *ptr, size_t bytes);
/* Makes room for element `count` of an array grown one element at a time:
 * reallocated to twice its length when count is 0 or a power of two, so
 * that n appends cost O(n) copies rather than O(n^2). */
void *cat_grow(void *items, int64_t count, size_t size);
char *cat_xstrdup(const char *text);
/* 64-byte aligned, zeroed; free with free(). */
void *cat_xaligned(size_t bytes);

typedef struct cat_strbuf {
  char *data;   /* always NUL-terminated once anything was appended */
  size_t len, cap;
} cat_strbuf;

void cat_sb_append(cat_strbuf *sb, const char *text);
void cat_sb_append_n(cat_strbuf *sb, const char *text, size_t n);
void cat_sb_printf(cat_strbuf *sb, const char *fmt, ...);
/* Appends text as a JSON string literal, quotes included. */
void cat_sb_json_string(cat_strbuf *sb, const char *text);
void cat_sb_free(cat_strbuf *sb);

/* dir + "/" + path unless path is absolute or dir is NULL/empty. */
char *cat_path_join(const char *dir, const char *path);
/* Formats a shape as "[3, 4]" into sb. */
void cat_sb_shape(cat_strbuf *sb, int32_t rank, const int64_t *shape);

/*--- rng.c: the deterministic generator behind shuffles -------------------*/

typedef struct cat_rng { uint64_t s[4]; } cat_rng;

void cat_rng_seed(cat_rng *rng, uint64_t seed);
uint64_t cat_rng_next(cat_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double cat_rng_uniform(cat_rng *rng);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint64_t cat_rng_below(cat_rng *rng, uint64_t bound);
/* Fisher-Yates shuffle of an index array. */
void cat_rng_shuffle(cat_rng *rng, int64_t *items, int64_t count);

/*--- json.c: a small, defensive JSON reader -------------------------------*/

typedef enum {
  CAT_JSON_NULL, CAT_JSON_BOOL, CAT_JSON_NUMBER, CAT_JSON_STRING,
  CAT_JSON_ARRAY, CAT_JSON_OBJECT
} cat_json_kind;

typedef struct cat_json {
  cat_json_kind kind;
  double number;            /* NUMBER, BOOL (0/1) */
  char *string;             /* STRING */
  int64_t count;            /* ARRAY, OBJECT: number of items */
  char **keys;              /* OBJECT: count keys */
  struct cat_json **items;  /* ARRAY, OBJECT: count values */
} cat_json;

/* Parses exactly one JSON value (surrounding whitespace allowed). Returns
 * NULL and a description in err on malformed input. */
cat_json *cat_json_parse(const char *text, size_t len, char *err,
                         size_t err_size);
void cat_json_free(cat_json *value);
/* The value of key in an object, or NULL. */
const cat_json *cat_json_get(const cat_json *object, const char *key);

/*--- data.c: CSV data sets ------------------------------------------------*/

/* Class names of a Fin target, index = label. */
typedef struct cat_classes {
  int32_t count;
  char **names;
} cat_classes;

void cat_classes_free(cat_classes *classes);
/* Appends name; returns its new label. */
int32_t cat_classes_add(cat_classes *classes, const char *name);
/* The label of name, or -1. */
int32_t cat_classes_find(const cat_classes *classes, const char *name);
/* Appends the names as a JSON array, ["a", "b"] (NULL: []), the text of
 * the `classes` metadata of checkpoints and quantized files. */
void cat_sb_classes(cat_strbuf *sb, const cat_classes *classes);

/* Examples in memory, one array per factor (float or int32_t, both four
 * bytes, batch-major exactly as the model's functions take them). */
typedef struct cat_dataset {
  int64_t count;
  int32_t num_inputs, num_targets;  /* num_targets = 0: features only */
  void **inputs;
  void **targets;
} cat_dataset;

typedef enum {
  CAT_TARGETS_REQUIRED,  /* train and eval */
  CAT_TARGETS_OPTIONAL   /* predict: a file may hold only the features */
} cat_target_policy;

/* Loads a CSV file for the model. classes: with count > 0, the names a Fin
 * target must use (from a checkpoint); with count == 0, filled in from the
 * data (first appearance, or integer labels). */
int cat_load_csv(const cat_model *model, const cat_train_config *config,
                 const char *path, cat_target_policy policy,
                 cat_classes *classes, cat_dataset *out);
void cat_dataset_free(cat_dataset *data);
/* text(...) and tokens(...) (text.c): windows of `context` tokens over the
 * file's token stream, the next token of each position as the target. */
int cat_load_text(const cat_model *model, const cat_train_config *config,
                  const char *path, cat_dataset *out);
/* A token stream (text.c), grown by cat_token_push; free tokens. */
typedef struct cat_token_stream {
  int32_t *tokens;
  int64_t count, cap;
} cat_token_stream;

void cat_token_push(cat_token_stream *stream, int32_t token);
/* The file's tokens: its bytes for text(...), its whitespace-separated words
 * through the vocabulary for tokens(...). */
int cat_read_tokens(const cat_train_config *config, const char *path,
                    cat_token_stream *stream);
/* Appends the words of text[0..len) (modified, then restored). */
void cat_split_words(const cat_train_config *config, char *text, size_t len,
                     cat_token_stream *stream);
/* The vocabulary index of word; unknown words are 0. */
int32_t cat_vocab_index(const cat_train_config *config, const char *word);
/* The data set of the train block's kind: csv, text or tokens. */
int cat_load_data(const cat_model *model, const cat_train_config *config,
                  const char *path, cat_target_policy policy,
                  cat_classes *classes, cat_dataset *out);
/* The path of the data file: --data as given, else the train block's path
 * resolved against its source directory. NULL (after an error) if none. */
char *cat_data_path(const cat_train_config *config, const char *override);

/*--- checkpoint.c: safetensors --------------------------------------------*/

/* Where a training run stands, stored with the weights so that --resume
 * continues it exactly. The optimizer state is the tensor
 * "__optimizer__.state" (F32, binary-exact); the rest is string metadata. */
typedef struct cat_train_state {
  int64_t epoch;       /* epochs completed */
  int64_t batch;       /* batches of epoch + 1 completed (after SIGINT) */
  uint64_t seed;       /* the seed of the split and the shuffles */
  cat_rng rng;         /* the generator before epoch + 1's shuffle */
  int32_t optimizer;   /* CAT_OPT_* */
  int64_t opt_count;   /* floats of opt_state; 0: none stored */
  float *opt_state;    /* on load: allocated, free() it */
  /* Early stopping (patience): the best epoch so far and what it left,
   * so that an interrupted run resumes to the same end. */
  int has_best;
  int64_t best_epoch;
  double best_val_loss;
  int64_t stale_epochs;  /* epochs since the best */
  cat_rng best_rng;
  int64_t best_count;    /* floats of best: parameters, then opt state */
  float *best;           /* on load: allocated, free() it */
  /* The run's settings beyond the train block (its flags), which a resumed
   * run keeps unless given again; NULL on save: none. */
  const cat_train_config *settings;
  int has_settings;      /* on load: `loaded` holds them */
  cat_train_config loaded;
  int64_t shards;        /* the run's --shards; on load 0: not stored */
} cat_train_state;

/* Writes params (and state, if not NULL) atomically: temp file, fsync,
 * rename. */
int cat_checkpoint_save(const cat_model *model, const float *params,
                        const cat_classes *classes,
                        const cat_train_state *state, const char *path);
/* Writes a file atomically: write() into a temporary file beside path,
 * fsync, rename over path, fsync of the directory. On failure, an error
 * naming path and `what` ("checkpoint") says whether a previous file is
 * unchanged, and -1 is returned. */
int cat_write_atomically(const char *path, const char *what,
                         int (*write)(FILE *out, void *context), void *context);
/* Reads and validates a checkpoint against the model's parameter table.
 * classes (may be NULL) receives the stored class names; state (may be
 * NULL) the training state (zeroes where the file has none). */
int cat_checkpoint_load(const cat_model *model, const char *path,
                        float *params, cat_classes *classes,
                        cat_train_state *state);
/* "<module>.safetensors". */
char *cat_default_checkpoint_path(const cat_model *model);
/* The weights compiled into the executable (catc --weights), or NULL. */
const float *cat_baked_weights(const cat_model *model);
/* The weights of the checkpoint `path` or, when path is NULL, the baked-in
 * ones (there must be some), into params, with their class names (classes
 * may be NULL). */
int cat_load_weights(const cat_model *model, const char *path, float *params,
                     cat_classes *classes);

/*--- cli.c / train.c: the commands ----------------------------------------*/

typedef enum {
  CAT_CMD_TRAIN, CAT_CMD_EVAL, CAT_CMD_PREDICT, CAT_CMD_INFO,
  CAT_CMD_GRADCHECK, CAT_CMD_GENERATE, CAT_CMD_QUANTIZE, CAT_CMD_HELP
} cat_command;

/* The command line, after parsing; unset overrides are flagged. */
typedef struct cat_options {
  cat_command command;
  const char *data, *weights, *out, *init, *resume, *log, *predict_file;
  int has_epochs, has_batch, has_lr, has_seed;
  int64_t epochs, batch;  /* batch 0 = all */
  float lr;
  uint64_t seed;
  int quiet, json;
  int has_weight_decay, has_clip, has_validation, has_schedule, has_patience;
  int64_t patience;
  double weight_decay, clip, validation;
  int32_t schedule;       /* CAT_SCHEDULE_* */
  int64_t schedule_every;
  double schedule_gamma;
  int confusion;          /* eval: print the confusion matrix */
  int probabilities;      /* predict: the classes' probabilities too */
  const char *output;     /* predict: a CSV file instead of stdout */
  /* generate */
  const char *prompt;     /* NULL: start from the padding token alone */
  int64_t tokens;         /* how many tokens to generate */
  double temperature;     /* 0: greedy */
  /* data parallelism */
  int64_t threads;        /* --threads; 0: one per core */
  int has_shards;
  int64_t shards;         /* --shards: the most shards a batch splits into */
  /* quantize */
  int has_examples;
  int64_t examples;       /* --examples: calibrate on the first N rows */
} cat_options;

/* The train block with the command-line overrides applied. */
void cat_effective_config(const cat_model *model, const cat_options *opts,
                          cat_train_config *config);

int cat_cmd_train(const cat_model *model, const cat_options *opts);
int cat_cmd_eval(const cat_model *model, const cat_options *opts);
int cat_cmd_predict(const cat_model *model, const cat_options *opts);
int cat_cmd_info(const cat_model *model, const cat_options *opts);
int cat_cmd_gradcheck(const cat_model *model, const cat_options *opts);
int cat_cmd_generate(const cat_model *model, const cat_options *opts);
/* quantize.c */
int cat_cmd_quantize(const cat_model *model, const cat_options *opts);
/* predict for a model of text(...) or tokens(...) data (generate.c). */
int cat_predict_sequence(const cat_model *model, const cat_options *opts);

/*--- eval.c: running the model over a data set ----------------------------*/

/* Buffers to run the model on up to `capacity` examples at a time. */
typedef struct cat_runner {
  const cat_model *model;
  size_t capacity;
  void **inputs, **targets, **outputs;  /* per factor, capacity examples */
  float *losses;
  void *workspace;
  /* cat_runner_use_pool: the threads, each with a workspace for its part
   * of a batch; parts = 0 without. */
  struct cat_pool *pool;
  int parts;
  void **part_workspaces;
  void **part_views;      /* per part: its rows of every buffer */
} cat_runner;

void cat_runner_init(cat_runner *runner, const cat_model *model,
                     size_t capacity);
void cat_runner_free(cat_runner *runner);
/* Runs the model's batches on the pool's threads from now on. */
void cat_runner_use_pool(cat_runner *runner, struct cat_pool *pool);
/* outputs = M(inputs) for the first n examples in the buffers. */
void cat_runner_forward(cat_runner *runner, const float *params, size_t n);
/* Copies the examples index[first..first + n) of data into rows
 * [first, first + n) of the runner's buffers. */
void cat_runner_gather_rows(cat_runner *runner, const cat_dataset *data,
                            const int64_t *index, size_t first, size_t n);
/* Copies the examples index[0..n) of data into the runner's buffers. */
void cat_runner_gather(cat_runner *runner, const cat_dataset *data,
                       const int64_t *index, size_t n);

typedef struct cat_metrics {
  double loss;       /* mean per-example loss */
  double accuracy;   /* when has_accuracy */
  int has_accuracy;
  int64_t examples;
  int32_t kind;      /* CAT_LOSS_*: which of the fields below are set */
  double macro_f1;                 /* classes */
  double precision, recall, f1;    /* binary: of class 1 */
  double mse, mae, r2;             /* regression */
  const int64_t *confusion;        /* classes x classes (row: target), or
                                      NULL; owned by the cat_scores */
  int32_t classes;
  int32_t num_heads;               /* a loss summing heads: each one's mean */
  double head_loss[2];
} cat_metrics;

/*--- metrics.c: what the predictions score, by kind of model ------------*/

/* The most classes a confusion matrix is kept for (eval --confusion). */
#define CAT_MAX_CONFUSION 1024

/* Statistics of a model's predictions, accumulated batch by batch. */
typedef struct cat_scores {
  int32_t kind;          /* CAT_LOSS_* scored; CAT_LOSS_OTHER: the loss only */
  int32_t classes;       /* classes: k; binary: 2 */
  int64_t *confusion;    /* classes x classes: row = target, col = prediction;
                            NULL past CAT_MAX_CONFUSION classes */
  int64_t *per_class;    /* classes: true positives, targets, predictions */
  int64_t width;         /* regression: output elements per example */
  double *sum, *sum_sq, *sse;  /* regression, per element: Σy, Σy², Σ(y-ŷ)² */
  double sae;            /* regression: Σ|y-ŷ| */
  int64_t examples;
} cat_scores;

/* The kind of metrics the model's outputs and targets allow. */
int32_t cat_scores_kind(const cat_model *model);
void cat_scores_init(cat_scores *scores, const cat_model *model);
void cat_scores_reset(cat_scores *scores);
void cat_scores_free(cat_scores *scores);
/* Adds n examples: the model's outputs and their targets, batch-major. */
void cat_scores_add(cat_scores *scores, const cat_model *model,
                    void *const *outputs, void *const *targets, size_t n);
/* Sets the metrics of the scores' kind in m (loss and examples untouched). */
void cat_scores_finish(const cat_scores *scores, cat_metrics *m);

/* The model's CAT_LOSS_* (CAT_LOSS_OTHER for descriptors without it). */
int32_t cat_model_loss_kind(const cat_model *model);
/* Whether argmax accuracy makes sense: one Fin[k] target, one R[k] output. */
int cat_model_has_accuracy(const cat_model *model);
/* The index of the largest of scores[0..count) (the first of equals). */
int32_t cat_argmax(const float *scores, int64_t count);
/* Elements per example of a factor list. */
int64_t cat_factors_size(const cat_factor *factors, int32_t count);
/* The argmax of example i of the first output in the runner's buffers. */
int32_t cat_runner_argmax(const cat_runner *runner, size_t i);
/* Whether the descriptor has the `_outputs` step fields (they may still be
 * NULL). */
int cat_model_has_output_steps(const cat_model *model);
/* Loss and metrics of the model on data[index[0..count)], with `scores`
 * (initialised for the model) as the accumulator; the result's confusion
 * matrix lives in it. */
cat_metrics cat_evaluate(cat_runner *runner, cat_scores *scores,
                         const float *params, const cat_dataset *data,
                         const int64_t *index, int64_t count);
/* For a loss that sums two heads (model->num_heads == 2): each head's mean
 * loss over data[index[0..count)] into m->head_loss. */
void cat_evaluate_heads(cat_runner *runner, const float *params,
                        const cat_dataset *data, const int64_t *index,
                        int64_t count, cat_metrics *m);
/* Whether the model reports per-head losses. */
int cat_model_has_heads(const cat_model *model);
/* 0, 1, ..., count - 1. */
int64_t *cat_identity_index(int64_t count);

/*--- train.c ------------------------------------------------------------*/

/* The learning rate of optimizer step `step` (counted from 0) of a run of
 * `total` steps under the config's schedule. */
double cat_scheduled_lr(const cat_train_config *config, int64_t step,
                        int64_t total);

/*--- comm.c / comm_mpi.c: the processes of a run ---------------------------*/

/* A run is one process, or (an executable linked with `catc --mpi`) one rank
 * of an MPI job. The training loop exchanges shard gradients through these
 * at fixed points of every step, so the same code serves both; comm.c is
 * the one-process build, comm_mpi.c the MPI one. Every function that can
 * fail prints the error, naming the rank involved where it is known, and
 * returns non-zero; a failed collective means the job cannot go on. */

/* Before anything else in cat_main (MPI_Init_thread); non-zero: stop. */
int cat_comm_start(int *argc, char ***argv);
/* At the end of cat_main, with the command's exit status. */
void cat_comm_stop(int status);
int cat_comm_rank(void);   /* 0 without MPI */
int cat_comm_size(void);   /* 1 without MPI */
/* Every rank passes its own block (bytes[rank] bytes at `mine`); `all`
 * receives every rank's block, in rank order, on every rank. `mine` may be
 * the place of this rank's block in `all` (in place, as train.c calls it). */
int cat_comm_allgather(const void *mine, void *all, const size_t *bytes);
/* The logical OR of flag over the ranks (1 or 0 on every rank), or -1. */
int cat_comm_any(int flag);
/* root's `bytes` bytes at data, on every rank. */
int cat_comm_broadcast(void *data, size_t bytes, int root);
/* Ends every rank of the job with `status` after an error on this one. */
void cat_comm_abort(int status);

/*--- pool.c: worker threads -----------------------------------------------*/

/* The most threads --threads and shards --shards accept (cli.c's hints
 * say so). */
#define CAT_MAX_THREADS 256
#define CAT_MAX_SHARDS 1024
/* Examples a shard has at least: smaller shards cost more in summing their
 * gradients than their parallel computation saves. */
#define CAT_MIN_SHARD 16
/* --shards by default: the decomposition must not depend on the machine,
 * so it cannot be the core count. */
#define CAT_DEFAULT_SHARDS 2

/* One job of a pool: thread `t` of `threads` does its part. */
typedef void (*cat_pool_job)(void *arg, int t, int threads);
typedef struct cat_pool cat_pool;

/* The cores this process may run on (at least 1, at most
 * CAT_MAX_THREADS). */
int cat_cpu_count(void);
/* A pool of `threads` threads, the caller being one of them. */
cat_pool *cat_pool_start(int threads);
/* The pool --threads asks for (0: one thread per core); NULL for one. */
cat_pool *cat_pool_for(int64_t threads);
int cat_pool_threads(const cat_pool *pool);  /* 1 for NULL */
/* Runs job(arg, t, threads) for every t, t = 0 on the caller, and returns
 * when all are done; with a NULL pool, job(arg, 0, 1). */
void cat_pool_run(cat_pool *pool, cat_pool_job job, void *arg);
void cat_pool_stop(cat_pool *pool);  /* NULL: nothing */

/*--- progress.c: what a training run prints -------------------------------*/

typedef struct cat_progress {
  int quiet;          /* set by the caller: only the final summary */
  int json;           /* set by the caller: the summary as JSON */
  int64_t epochs;     /* set by the caller: the last epoch */
  int64_t first_epoch;/* set by the caller: 1, or later when resuming */
  int live;           /* a terminal: redraw one line per epoch */
  FILE *log;          /* --log: one CSV row per epoch */
  int64_t train_count;
  double started, epoch_started, last_draw;  /* monotonic seconds */
  double loss_sum;    /* of this epoch's steps so far */
  int64_t steps;
  double last_acc;    /* the previous epoch's, shown on the bar */
  int regression;     /* R² instead of accuracy in the log */
  int32_t num_heads;  /* a loss summing two heads: their validation losses */
  const char *const *head_names;
} cat_progress;

/* Prints the banner and opens log_path (if any; appending when resuming).
 * Returns non-zero if the log cannot be written. */
int cat_progress_begin(cat_progress *progress, const cat_model *model,
                       int64_t train_count, int64_t val_count,
                       const char *log_path, int resuming);
/* After each step: `done` training examples of this epoch so far. */
void cat_progress_step(cat_progress *progress, int64_t done, float loss);
void cat_progress_epoch(cat_progress *progress, int64_t epoch,
                        const cat_metrics *train, const cat_metrics *val);
void cat_progress_end(cat_progress *progress, const char *checkpoint,
                      int64_t epochs, const cat_metrics *train,
                      const cat_metrics *val);
void cat_progress_interrupted(cat_progress *progress, const char *checkpoint,
                              int64_t epoch, int64_t batch);
/* After training with patience: where it stopped (0: it ran every epoch)
 * and which epoch the checkpoint keeps. */
void cat_progress_early_stop(cat_progress *progress, int64_t stopped,
                             int64_t patience, int64_t best_epoch,
                             double best_val_loss);
void cat_progress_close(cat_progress *progress);
/* "loss 0.0612  accuracy 0.9733  macro-F1 0.9733  (150 examples)" or its
 * JSON form; with confusion_classes (the class names), the confusion
 * matrix too. */
void cat_print_metrics(FILE *out, const cat_model *model,
                       const cat_metrics *metrics, int json,
                       const cat_classes *confusion_classes);

#endif /* CATRT_INTERNAL_H */
