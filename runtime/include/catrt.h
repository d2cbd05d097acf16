/*===- catrt.h - The catc runtime: the one public header ------------------===*
 *
 * Generated executables are a generated object (the model's forward,
 * backward and training-step code plus a `cat_model` descriptor) linked with
 * this small C99 runtime, which does everything that is not the model: the
 * command line, data loading, the training loop, progress and checkpoints.
 * Every symbol has the `cat_` prefix and C linkage. Generated inference code
 * never calls into the runtime and never allocates; the runtime allocates
 * the workspace and data buffers once per run.
 *
 *===----------------------------------------------------------------------===*/
#ifndef CATRT_H
#define CATRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element kinds of a factor. */
enum { CAT_REAL = 0, CAT_FIN = 1 };

/* One factor of a flattened product object (docs/embedding.md). */
typedef struct cat_factor {
  int32_t kind;          /* CAT_REAL (float) or CAT_FIN (int32_t) */
  int32_t classes;       /* Fin[n]: n; real factors: 0 */
  int64_t size;          /* elements per example */
  int32_t rank;          /* number of dimensions (0 for a scalar) */
  const int64_t *shape;  /* rank entries */
} cat_factor;

/* One parameter tensor in the flat parameter array. */
typedef struct cat_param_info {
  const char *name;      /* safetensors key, e.g. "encode.linear0.weight" */
  int64_t offset;        /* in floats from the start of the array */
  int64_t size;          /* floats */
  int32_t rank;
  const int64_t *shape;
} cat_param_info;

enum { CAT_DATA_NONE = 0, CAT_DATA_CSV = 1, CAT_DATA_TEXT = 2, CAT_DATA_TOKENS = 3 };
enum { CAT_OPT_SGD = 0, CAT_OPT_ADAM = 1 };
/* The optimizer state's header, before the moments: the step counter,
 * then the hyperparameters of the next step, which apply when the CHOSEN
 * slot is non-zero (a zeroed state takes the train block's). */
enum {
  CAT_OPT_STEP = 0,          /* steps taken, a uint32 stored bit for bit */
  CAT_OPT_CHOSEN = 1,        /* non-zero: the slots below apply */
  CAT_OPT_LR = 2,            /* learning rate */
  CAT_OPT_WEIGHT_DECAY = 3,  /* SGD: L2 on the gradient; Adam: AdamW's */
  CAT_OPT_CLIP = 4,          /* gradient-norm clipping (0: none) */
  CAT_OPT_SEED = 5,          /* dropout: the run's seed, its low 32 bits
                                stored bit for bit */
  CAT_OPT_HEADER = 8         /* floats before the moments */
};
/* cat_train_config.target_index of `target = features`: the feature
 * columns are the target too (an autoencoder). */
enum { CAT_TARGET_FEATURES = -2 };
/* What a model predicts, from its loss and target (cat_model.loss_kind). */
enum {
  CAT_LOSS_OTHER = 0,      /* a loss of the user's own making */
  CAT_LOSS_CLASSES = 1,    /* cross_entropy against Fin labels */
  CAT_LOSS_BINARY = 2,     /* bce against targets in [0, 1] */
  CAT_LOSS_REGRESSION = 3  /* a real target of the model's codomain */
};

/* The `train` block, with defaults filled in by the compiler. */
typedef struct cat_train_config {
  int32_t data_kind;               /* CAT_DATA_* */
  const char *data_path;           /* as written in the .cat file */
  const char *source_dir;          /* directory of the .cat file: relative
                                      data paths resolve against it */
  const char *target_name;         /* csv: target column by name, or NULL */
  int32_t target_index;            /* csv: target column by index, -1, or
                                      CAT_TARGET_FEATURES */
  int32_t num_features;            /* csv: 0 = every column but the target */
  const char *const *feature_names;/* csv: by name (or NULL) ... */
  const int32_t *feature_indices;  /* ... or by index (or NULL) */
  int64_t context;                 /* text/tokens: window length T */
  int32_t vocab_size;              /* tokens: the vocabulary */
  const char *const *vocab;
  int32_t optimizer;               /* CAT_OPT_SGD or CAT_OPT_ADAM */
  float lr, momentum, beta1, beta2, eps;
  int64_t epochs;
  int64_t batch;                   /* 0 = all (full batch) */
  uint64_t seed;
  double validation;               /* held-out fraction in [0, 1) */
  float weight_decay;              /* CAT_OPT_WEIGHT_DECAY's value */
  float clip;                      /* CAT_OPT_CLIP's value */
  int32_t schedule;                /* CAT_SCHEDULE_* */
  int64_t schedule_every;          /* step: steps between decays; cosine:
                                      warm-up steps */
  float schedule_gamma;            /* step: the decay factor */
  int64_t patience;                /* early stopping: epochs without a
                                      better validation loss (0: off) */
} cat_train_config;

/* Learning-rate schedules, per optimizer step (cat_train_config.schedule). */
enum {
  CAT_SCHEDULE_CONSTANT = 0,
  CAT_SCHEDULE_STEP = 1,    /* lr * gamma^floor(t / every) */
  CAT_SCHEDULE_COSINE = 2   /* linear warm-up, then half a cosine to 0 */
};

/* A named declaration of the module, as `info` shows it: an object and its
 * definition ("Features", "R[4]") or a morphism and its signature
 * ("encode", "Features -> Hidden"). */
typedef struct cat_declaration {
  const char *name;
  const char *text;
} cat_declaration;

/* cat_model.declarations_magic when the declaration fields are filled in. */
#define CAT_DECLARATIONS_MAGIC 0x6361746465636c31ull  /* "catdecl1" */
/* cat_model.outputs_magic when the `_outputs` step fields are filled in. */
#define CAT_OUTPUTS_MAGIC 0x636174736f757431ull       /* "catsout1" */
/* cat_model.loss_magic when the loss fields are filled in. */
#define CAT_LOSS_MAGIC 0x6361746c6f737331ull          /* "catloss1" */
/* cat_model.heads_magic when the per-head loss fields are filled in. */
#define CAT_HEADS_MAGIC 0x6361746865616431ull         /* "cathead1" */
/* cat_model.weights_magic when the baked-weights fields are filled in. */
#define CAT_WEIGHTS_MAGIC 0x6361747765696731ull       /* "catweig1" */
/* cat_model.shards_magic when the data-parallel step fields are filled in. */
#define CAT_SHARDS_MAGIC 0x6361747368726431ull        /* "catshrd1" */

/* cat_model.quant_magic when the calibration fields are filled in. */
#define CAT_QUANT_MAGIC 0x6361747175616e31ull         /* "catquan1" */

/* A dense layer of the model as int8 quantization sees it: the product with
 * a weight tensor [out, in], then its bias and a ReLU when the compiler
 * fused them into the product. */
typedef struct cat_quant_layer {
  int32_t weight;      /* index of W [out, in] in the parameter table */
  int32_t bias;        /* index of its bias [out], or -1: none */
  int32_t relu;        /* 1: a ReLU follows the bias */
  int32_t in, out;     /* features of a row */
} cat_quant_layer;

/* Everything the runtime knows about a compiled model. Function pointers
 * take one pointer per factor (arrays `inputs`, `targets`, `outputs`), data
 * batch-major: example i of a factor starts at i * factor.size. */
typedef struct cat_model {
  const char *module;              /* module prefix */
  const char *morphism;            /* the trained morphism */
  int64_t param_count;             /* floats in the parameter array */
  int32_t num_params;              /* parameter tensors */
  const cat_param_info *params;
  int64_t opt_state_count;         /* floats of optimizer state */
  int32_t num_inputs;  const cat_factor *inputs;   /* Dom(M) */
  int32_t num_outputs; const cat_factor *outputs;  /* Cod(M) */
  int32_t num_targets; const cat_factor *targets;  /* the loss's 2nd object */
  uint64_t layout_hash;            /* hash of names/shapes/offsets */

  /* Bytes of workspace every function below needs for a batch of n. */
  size_t (*workspace_size)(size_t n);
  /* Fills params with the initial values for this seed. */
  void (*init)(float *params, uint64_t seed);
  /* outputs = M(inputs). */
  void (*forward)(const float *params, void *const *inputs,
                  void *const *outputs, size_t n, void *workspace);
  /* outputs = M(inputs); losses[i] = loss of example i. */
  void (*evaluate)(const float *params, void *const *inputs,
                   void *const *targets, void *const *outputs, float *losses,
                   size_t n, void *workspace);
  /* Returns the mean loss of the batch; dparams += its gradient. */
  float (*loss_grad)(const float *params, void *const *inputs,
                     void *const *targets, float *dparams, size_t n,
                     void *workspace);
  /* One optimizer step on the batch: params and opt_state updated in
   * place; returns the mean loss before the update. */
  float (*train_step)(float *params, float *opt_state, void *const *inputs,
                      void *const *targets, size_t n, void *workspace);
  const cat_train_config *train;   /* NULL when the file has no train block */

  /* Fields added after the first version (a descriptor made without them
   * leaves declarations_magic unset, and the runtime ignores the rest):
   * the module's named objects and morphisms, in source order, for `info`. */
  uint64_t declarations_magic;     /* CAT_DECLARATIONS_MAGIC */
  int32_t num_objects;   const cat_declaration *objects;
  int32_t num_morphisms; const cat_declaration *morphisms;

  /* Added later still (used only when outputs_magic is CAT_OUTPUTS_MAGIC;
   * either may be NULL): train_step and loss_grad that also write the
   * outputs of the forward pass they compute, with the parameters before
   * the update. `train` reports the accuracy of these predictions. */
  uint64_t outputs_magic;          /* CAT_OUTPUTS_MAGIC */
  float (*train_step_outputs)(float *params, float *opt_state,
                              void *const *inputs, void *const *targets,
                              void *const *outputs, size_t n, void *workspace);
  float (*loss_grad_outputs)(const float *params, void *const *inputs,
                             void *const *targets, void *const *outputs,
                             float *dparams, size_t n, void *workspace);

  /* Added later still (used only when loss_magic is CAT_LOSS_MAGIC): the
   * train block's loss as written and what kind of model it makes. */
  uint64_t loss_magic;             /* CAT_LOSS_MAGIC */
  int32_t loss_kind;               /* CAT_LOSS_* */
  const char *loss_text;           /* e.g. "cross_entropy" */

  /* Added later still (used only when heads_magic is CAT_HEADS_MAGIC): a
   * loss that is the sum of two heads' losses, e.g.
   * `(mse * cross_entropy) ; add`, reports each; num_heads is 0 otherwise. */
  uint64_t heads_magic;            /* CAT_HEADS_MAGIC */
  int32_t num_heads;
  const char *const *head_names;   /* e.g. "mse", "cross_entropy" */
  /* heads[h][i] = head h's loss of example i. */
  void (*head_losses)(const float *params, void *const *inputs,
                      void *const *targets, void *const *heads, size_t n,
                      void *workspace);

  /* Added later still (used only when weights_magic is CAT_WEIGHTS_MAGIC):
   * trained weights compiled in (`catc --weights W`). eval, predict, info,
   * gradcheck and generate use them unless --weights is given, and train
   * starts from them unless --init, --resume or --seed says otherwise. */
  uint64_t weights_magic;          /* CAT_WEIGHTS_MAGIC */
  const float *weights;            /* param_count floats, or NULL: none */
  const char *weights_file;        /* the checkpoint they came from */
  int64_t weights_epoch;           /* its epochs completed, or -1 */
  int32_t num_weight_classes;      /* a Fin target's class names, as the */
  const char *const *weight_classes; /* checkpoint stored them */

  /* Added later still (used only when shards_magic is CAT_SHARDS_MAGIC):
   * train_step in two halves, for data-parallel training. shard_grad writes
   * the gradient of shard `shard` (n examples) of a batch of `total` into
   * grad (the loss is the batch's mean, so the shards' gradients add up to
   * the batch's) and returns the shard's mean loss; apply_gradient takes one
   * optimizer step with a gradient, clipping it in place. */
  uint64_t shards_magic;           /* CAT_SHARDS_MAGIC */
  float (*shard_grad)(const float *params, const float *opt_state,
                      void *const *inputs, void *const *targets, float *grad,
                      size_t n, size_t total, size_t shard, void *workspace);
  float (*shard_grad_outputs)(const float *params, const float *opt_state,
                              void *const *inputs, void *const *targets,
                              void *const *outputs, float *grad, size_t n,
                              size_t total, size_t shard, void *workspace);
  void (*apply_gradient)(float *params, float *opt_state, float *grad);

  /* Added later still (used only when quant_magic is CAT_QUANT_MAGIC): the
   * model's dense layers, and its forward map that also folds the range of
   * each layer's input and output into ranges[4 l .. 4 l + 1] and
   * ranges[4 l + 2 .. 4 l + 3] (minimum, maximum), for `quantize`. */
  uint64_t quant_magic;            /* CAT_QUANT_MAGIC */
  int32_t num_quant_layers;
  const cat_quant_layer *quant_layers;
  void (*calibrate)(const float *params, void *const *inputs,
                    void *const *outputs, float *ranges, size_t n,
                    void *workspace);
  /* With int8 weights compiled in (catc --weights Wq, from `quantize`):
   * forward and evaluate running them on integers (params are ignored but
   * for what runs in float, for which they must be the baked weights);
   * NULL otherwise. eval and predict use them when given no --weights. */
  void (*forward_int8)(const float *params, void *const *inputs,
                       void *const *outputs, size_t n, void *workspace);
  void (*evaluate_int8)(const float *params, void *const *inputs,
                        void *const *targets, void *const *outputs,
                        float *losses, size_t n, void *workspace);
} cat_model;

/* The entry point of generated executables: parses argv, runs the command. */
int cat_main(const cat_model *model, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* CATRT_H */
