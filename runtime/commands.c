/*===- commands.c - The `eval`, `predict` and `info` commands ------------===*
 *
 * The commands that use a trained model rather than train one: `eval`
 * measures loss and accuracy of saved weights on a data set, `predict`
 * prints the model's answer for every row of a CSV file (a class name for a
 * classifier; sequence models are generate.c's), and `info` describes the compiled model: its objects, its
 * parameter table and the memory it needs.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <errno.h>
#include <math.h>

#include <stdlib.h>
#include <string.h>

/* Rows per call when evaluating or predicting outside training. */
enum { EVAL_CHUNK = 256 };

static size_t chunk_for(int64_t count) {
  return count < EVAL_CHUNK ? (size_t)count : EVAL_CHUNK;
}

/* Weights from --weights, else those compiled in, with their class names. */
static float *load_weights(const cat_model *model, const cat_options *opts,
                           cat_classes *classes) {
  float *params = cat_xaligned((size_t)model->param_count * sizeof(float));
  if (cat_load_weights(model, opts->weights, params, classes) != 0) {
    free(params);
    return NULL;
  }
  return params;
}

int cat_cmd_eval(const cat_model *model, const cat_options *opts) {
  cat_train_config config;
  cat_classes classes = {0};
  cat_dataset data = {0};
  cat_effective_config(model, opts, &config);
  float *params = load_weights(model, opts, &classes);
  char *path = params ? cat_data_path(&config, opts->data) : NULL;
  int status = path ? cat_load_data(model, &config, path,
                                    CAT_TARGETS_REQUIRED, &classes, &data)
                    : -1;
  if (status == 0) {
    cat_runner runner;
    cat_runner_init(&runner, model, chunk_for(data.count));
    cat_pool *pool = cat_pool_for(opts->threads);
    cat_runner_use_pool(&runner, pool);
    cat_scores scores;
    cat_scores_init(&scores, model);
    int64_t *index = cat_identity_index(data.count);
    cat_metrics metrics = cat_evaluate(&runner, &scores, params, &data, index,
                                       data.count);
    cat_evaluate_heads(&runner, params, &data, index, data.count, &metrics);
    cat_print_metrics(stdout, model, &metrics, opts->json,
                      opts->confusion ? &classes : NULL);
    cat_scores_free(&scores);
    free(index);
    cat_runner_free(&runner);
    cat_pool_stop(pool);
  }
  cat_dataset_free(&data);
  cat_classes_free(&classes);
  free(path);
  free(params);
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}

/*--- predict -------------------------------------------------------------*/

/* Where predictions go: stdout (values separated by spaces, a header only
 * for product outputs) or a CSV file (--output: commas and a header). */
typedef struct prediction_sink {
  FILE *out;
  char separator;
  int header;
  int probabilities;
  int32_t kind;             /* cat_scores_kind */
  const cat_classes *classes;
  char **factor_names;      /* of a product output, as declared, or NULL */
} prediction_sink;

/* A factor of a product output whose target factor is one Fin label: it
 * predicts a class (its name is printed, not its scores). */
static int is_class_head(const cat_model *model, int32_t f) {
  return model->num_outputs > 1 && model->num_targets == model->num_outputs &&
         model->targets[f].kind == CAT_FIN && model->targets[f].size == 1 &&
         model->outputs[f].kind == CAT_REAL &&
         model->outputs[f].size == model->targets[f].classes;
}

/* The names of a product output's factors as the trained morphism's
 * declaration writes its codomain ("Width * Scores" -> Width, Scores), when
 * it names each factor; else NULL. */
static char **declared_factor_names(const cat_model *model) {
  if (model->num_outputs < 2 || model->declarations_magic != CAT_DECLARATIONS_MAGIC)
    return NULL;
  const char *text = NULL;
  for (int32_t i = 0; i < model->num_morphisms; ++i)
    if (!strcmp(model->morphisms[i].name, model->morphism))
      text = model->morphisms[i].text;
  const char *arrow = text ? strstr(text, "->") : NULL;
  if (!arrow)
    return NULL;
  char **names = cat_xcalloc((size_t)model->num_outputs, sizeof *names);
  const char *p = arrow + 2;
  int32_t count = 0;
  while (*p && count <= model->num_outputs) {
    while (*p == ' ' || *p == '*')
      ++p;
    const char *start = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
           (*p >= '0' && *p <= '9') || *p == '_')
      ++p;
    while (*p == ' ')
      ++p;
    /* Only plain names separated by '*': R[1], nested products and the
     * like leave the numbered column names. */
    if (p == start || (*p != '*' && *p != '\0') || count == model->num_outputs) {
      count = -1;
      break;
    }
    names[count] = cat_xcalloc((size_t)(p - start) + 1, 1);
    memcpy(names[count++], start, (size_t)(p - start));
    while (names[count - 1][0] && names[count - 1][strlen(names[count - 1]) - 1] == ' ')
      names[count - 1][strlen(names[count - 1]) - 1] = '\0';
  }
  if (count != model->num_outputs) {
    for (int32_t i = 0; i < model->num_outputs; ++i)
      free(names[i]);
    free(names);
    return NULL;
  }
  return names;
}

static void print_field(const prediction_sink *sink, int first,
                        const char *text) {
  if (!first)
    fputc(sink->separator, sink->out);
  fputs(text, sink->out);
}

static const char *class_name(const cat_classes *classes, int32_t c,
                              char *buffer, size_t size) {
  if (c < classes->count)
    return classes->names[c];
  snprintf(buffer, size, "%d", (int)c);
  return buffer;
}

/* After a class: each class's probability, the softmax of the k scores in
 * double. */
static void print_probabilities(const prediction_sink *sink, const float *scores,
                                int64_t k, int32_t best) {
  char text[32];
  double max = scores[best], total = 0;
  for (int64_t c = 0; c < k; ++c)
    total += exp((double)scores[c] - max);
  for (int64_t c = 0; c < k; ++c) {
    snprintf(text, sizeof text, "%.6g", exp((double)scores[c] - max) / total);
    print_field(sink, 0, text);
  }
}

/* The header's probability columns of a class head: p_<class>. */
static void print_probability_names(const prediction_sink *sink, int64_t k) {
  char name[64], buffer[16];
  for (int64_t c = 0; c < k; ++c) {
    snprintf(name, sizeof name, "p_%s",
             class_name(sink->classes, (int32_t)c, buffer, sizeof buffer));
    print_field(sink, 0, name);
  }
}

/* Column names: "class" (and "p_<name>"), "probability" and "decision",
 * or "output" (one value) / "output<f>_<e>" (factor f, element e). */
static void print_header(const prediction_sink *sink, const cat_model *model) {
  char name[64];
  if (sink->kind == CAT_LOSS_CLASSES) {
    print_field(sink, 1, "class");
    if (sink->probabilities)
      print_probability_names(sink, model->outputs[0].size);
    fputc('\n', sink->out);
    return;
  }
  int single = model->num_outputs == 1 && model->outputs[0].size == 1;
  int first = 1;
  for (int32_t f = 0; f < model->num_outputs; ++f) {
    if (is_class_head(model, f) || (sink->factor_names && model->outputs[f].size == 1)) {
      if (sink->factor_names)
        snprintf(name, sizeof name, "%s", sink->factor_names[f]);
      else
        snprintf(name, sizeof name, "class%d", (int)f + 1);
      print_field(sink, first, name);
      if (is_class_head(model, f) && sink->probabilities)
        print_probability_names(sink, model->outputs[f].size);
      first = 0;
      continue;
    }
    for (int64_t e = 0; e < model->outputs[f].size; ++e, first = 0) {
      const char *base = sink->kind == CAT_LOSS_BINARY ? "probability" : "output";
      if (single)
        snprintf(name, sizeof name, "%s", base);
      else if (sink->factor_names)
        snprintf(name, sizeof name, "%s_%lld", sink->factor_names[f], (long long)e);
      else
        snprintf(name, sizeof name, "%s%d_%lld", base, (int)f + 1, (long long)e);
      print_field(sink, first, name);
      if (sink->kind == CAT_LOSS_BINARY) {
        if (single)
          snprintf(name, sizeof name, "decision");
        else
          snprintf(name, sizeof name, "decision%d_%lld", (int)f + 1, (long long)e);
        print_field(sink, 0, name);
      }
    }
  }
  fputc('\n', sink->out);
}

static void print_prediction(const prediction_sink *sink,
                             const cat_runner *runner, size_t i) {
  const cat_model *model = runner->model;
  char text[64];
  if (sink->kind == CAT_LOSS_CLASSES) {
    int32_t label = cat_runner_argmax(runner, i);
    print_field(sink, 1, class_name(sink->classes, label, text, sizeof text));
    if (sink->probabilities) {
      int64_t k = model->outputs[0].size;
      print_probabilities(sink, (const float *)runner->outputs[0] + i * (size_t)k, k, label);
    }
    fputc('\n', sink->out);
    return;
  }
  int first = 1;
  for (int32_t f = 0; f < model->num_outputs; ++f) {
    const cat_factor *factor = &model->outputs[f];
    if (is_class_head(model, f)) {
      const float *scores = (const float *)runner->outputs[f] + i * (size_t)factor->size;
      int32_t best = cat_argmax(scores, factor->size);
      print_field(sink, first, class_name(sink->classes, best, text, sizeof text));
      if (sink->probabilities)
        print_probabilities(sink, scores, factor->size, best);
      first = 0;
      continue;
    }
    for (int64_t e = 0; e < factor->size; ++e, first = 0) {
      size_t at = i * (size_t)factor->size + (size_t)e;
      if (factor->kind == CAT_FIN) {
        snprintf(text, sizeof text, "%d", (int)((const int32_t *)runner->outputs[f])[at]);
        print_field(sink, first, text);
        continue;
      }
      double value = ((const float *)runner->outputs[f])[at];
      if (sink->kind == CAT_LOSS_BINARY) {
        /* bce models give logits: the probability is their sigmoid. */
        snprintf(text, sizeof text, "%.6g", 1 / (1 + exp(-value)));
        print_field(sink, first, text);
        print_field(sink, 0, value >= 0 ? "1" : "0");
        continue;
      }
      snprintf(text, sizeof text, "%g", value);
      print_field(sink, first, text);
    }
  }
  fputc('\n', sink->out);
}

static void predict_all(const cat_model *model, const float *params,
                        const cat_dataset *data, const prediction_sink *sink,
                        int64_t threads) {
  cat_runner runner;
  cat_runner_init(&runner, model, chunk_for(data->count));
  cat_pool *pool = cat_pool_for(threads);
  cat_runner_use_pool(&runner, pool);
  int64_t *index = cat_identity_index(data->count);
  if (sink->header)
    print_header(sink, model);
  for (int64_t start = 0; start < data->count;
       start += (int64_t)runner.capacity) {
    size_t n = (size_t)(data->count - start) < runner.capacity
                   ? (size_t)(data->count - start) : runner.capacity;
    cat_runner_gather(&runner, data, index + start, n);
    cat_runner_forward(&runner, params, n);
    for (size_t i = 0; i < n; ++i)
      print_prediction(sink, &runner, i);
  }
  free(index);
  cat_runner_free(&runner);
  cat_pool_stop(pool);
}

int cat_cmd_predict(const cat_model *model, const cat_options *opts) {
  cat_train_config config;
  cat_classes classes = {0};
  cat_dataset data = {0};
  cat_effective_config(model, opts, &config);
  if (config.data_kind == CAT_DATA_TEXT || config.data_kind == CAT_DATA_TOKENS)
    return cat_predict_sequence(model, opts);
  int class_heads = 0;
  for (int32_t f = 0; f < model->num_outputs; ++f)
    class_heads += is_class_head(model, f);
  if (opts->probabilities && cat_scores_kind(model) != CAT_LOSS_CLASSES && !class_heads) {
    cat_error("--probabilities is for classifiers (cross_entropy on Fin "
              "labels); '%s' %s", model->morphism,
              cat_scores_kind(model) == CAT_LOSS_BINARY
                  ? "prints its probability already"
                  : "predicts values, not classes");
    return CAT_EXIT_USAGE;
  }
  float *params = load_weights(model, opts, &classes);
  int status = params ? cat_load_csv(model, &config, opts->predict_file,
                                     CAT_TARGETS_OPTIONAL, &classes, &data)
                      : -1;
  prediction_sink sink = {stdout, ' ', model->num_outputs > 1,
                          opts->probabilities, cat_scores_kind(model),
                          &classes, declared_factor_names(model)};
  if (status == 0 && opts->output) {
    sink.out = fopen(opts->output, "w");
    sink.separator = ',';
    sink.header = 1;
    if (!sink.out) {
      cat_error("%s: cannot write the predictions: %s", opts->output,
                strerror(errno));
      status = -1;
    }
  }
  if (status == 0) {
    predict_all(model, params, &data, &sink, opts->threads);
    if (sink.out != stdout && fclose(sink.out) != 0) {
      cat_error("%s: cannot write the predictions: %s", opts->output,
                strerror(errno));
      status = -1;
    }
  }
  for (int32_t f = 0; sink.factor_names && f < model->num_outputs; ++f)
    free(sink.factor_names[f]);
  free(sink.factor_names);
  cat_dataset_free(&data);
  cat_classes_free(&classes);
  free(params);
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}

/*--- info ----------------------------------------------------------------*/

static void print_factor(const cat_factor *factor) {
  cat_strbuf sb = {0};
  if (factor->kind == CAT_FIN) {
    cat_sb_printf(&sb, "Fin[%d]", (int)factor->classes);
    if (factor->rank == 1)
      cat_sb_printf(&sb, "^%lld", (long long)factor->shape[0]);
    else if (factor->rank > 1)
      cat_sb_append(&sb, "^"), cat_sb_shape(&sb, factor->rank, factor->shape);
  } else {
    cat_sb_append(&sb, "R");
    if (factor->rank > 0)
      cat_sb_shape(&sb, factor->rank, factor->shape);
  }
  printf("%s", sb.data);
  cat_sb_free(&sb);
}

static void print_factors(const char *label, const cat_factor *factors,
                          int32_t count) {
  printf("%-10s", label);
  if (count == 0)
    printf("1");
  for (int32_t i = 0; i < count; ++i) {
    if (i) printf(" * ");
    print_factor(&factors[i]);
  }
  printf("\n");
}

static void print_params(const cat_model *model) {
  printf("parameters %d tensors, %lld floats (%lld bytes)\n",
         (int)model->num_params, (long long)model->param_count,
         (long long)model->param_count * 4);
  size_t width = 4;
  for (int32_t i = 0; i < model->num_params; ++i)
    if (strlen(model->params[i].name) > width)
      width = strlen(model->params[i].name);
  printf("  %-*s  %-14s %10s %10s\n", (int)width, "name", "shape", "offset",
         "size");
  for (int32_t i = 0; i < model->num_params; ++i) {
    const cat_param_info *param = &model->params[i];
    cat_strbuf shape = {0};
    cat_sb_shape(&shape, param->rank, param->shape);
    printf("  %-*s  %-14s %10lld %10lld\n", (int)width, param->name,
           shape.data, (long long)param->offset, (long long)param->size);
    cat_sb_free(&shape);
  }
}

static void print_train_block(const cat_train_config *config) {
  static const char *kinds[] = {"none", "csv", "text", "tokens"};
  const char *kind = config->data_kind >= 0 && config->data_kind <= 3
                         ? kinds[config->data_kind] : "?";
  if (config->data_kind == CAT_DATA_NONE)
    printf("train     no data (pass --data)");
  else
    printf("train     data %s(\"%s\")", kind,
           config->data_path ? config->data_path : "");
  printf(", %s(lr = %g", config->optimizer == CAT_OPT_ADAM ? "adam" : "sgd",
         (double)config->lr);
  if (config->optimizer == CAT_OPT_SGD)
    printf(", momentum = %g", (double)config->momentum);
  printf("), epochs %lld, batch ", (long long)config->epochs);
  if (config->batch == 0)
    printf("all");
  else
    printf("%lld", (long long)config->batch);
  printf(", seed %llu, validation %g", (unsigned long long)config->seed,
         config->validation);
  /* The rest only when set, in the train block's spelling. */
  if (config->weight_decay != 0)
    printf(", weight_decay %g", (double)config->weight_decay);
  if (config->clip != 0)
    printf(", clip %g", (double)config->clip);
  if (config->schedule == CAT_SCHEDULE_STEP)
    printf(", schedule step(every = %lld, gamma = %g)",
           (long long)config->schedule_every, (double)config->schedule_gamma);
  else if (config->schedule == CAT_SCHEDULE_COSINE)
    printf(", schedule cosine(warmup = %lld)", (long long)config->schedule_every);
  if (config->patience > 0)
    printf(", patience %lld", (long long)config->patience);
  printf("\n");
}

/* With --weights, or the weights compiled in: each tensor's sum (in double,
 * in storage order) and first values, to the precision that identifies a
 * float, so that any reader of the checkpoint can check it holds what the
 * program uses. */
static int print_weights(const cat_model *model, const cat_options *opts) {
  cat_classes classes = {0};
  cat_train_state state = {0};
  float *params = cat_xaligned((size_t)model->param_count * sizeof(float));
  int status = opts->weights
                   ? cat_checkpoint_load(model, opts->weights, params,
                                         &classes, &state)
                   : cat_load_weights(model, NULL, params, NULL);
  if (status == 0) {
    if (opts->weights)
      printf("weights   %s, epoch %lld\n", opts->weights,
             (long long)state.epoch);
    else if (model->weights_epoch >= 0)
      printf("weights   baked in from %s, epoch %lld\n", model->weights_file,
             (long long)model->weights_epoch);
    else
      printf("weights   baked in from %s\n", model->weights_file);
    for (int32_t i = 0; i < model->num_params; ++i) {
      const cat_param_info *param = &model->params[i];
      const float *values = params + param->offset;
      double sum = 0;
      for (int64_t j = 0; j < param->size; ++j)
        sum += values[j];
      printf("  %s sum %.17g first", param->name, sum);
      for (int64_t j = 0; j < param->size && j < 3; ++j)
        printf(" %.9g", (double)values[j]);
      printf("\n");
    }
  }
  free(state.opt_state);
  free(state.best);
  cat_classes_free(&classes);
  free(params);
  return status;
}

/* The module's objects and morphisms, one per line, names aligned. */
static void print_declarations(const char *label, const char *separator,
                               const cat_declaration *decls, int32_t count) {
  size_t width = 0;
  for (int32_t i = 0; i < count; ++i)
    if (strlen(decls[i].name) > width)
      width = strlen(decls[i].name);
  for (int32_t i = 0; i < count; ++i)
    printf("%-10s%-*s %s %s\n", i == 0 ? label : "", (int)width,
           decls[i].name, separator, decls[i].text);
}

int cat_cmd_info(const cat_model *model, const cat_options *opts) {
  cat_train_config config;
  cat_effective_config(model, opts, &config);
  printf("module    %s\nmorphism  %s\n", model->module, model->morphism);
  if (model->declarations_magic == CAT_DECLARATIONS_MAGIC) {
    print_declarations("objects", "=", model->objects, model->num_objects);
    print_declarations("morphisms", ":", model->morphisms,
                       model->num_morphisms);
  }
  print_factors("input", model->inputs, model->num_inputs);
  print_factors("output", model->outputs, model->num_outputs);
  print_factors("target", model->targets, model->num_targets);
  print_params(model);
  printf("optimizer state %lld floats\n", (long long)model->opt_state_count);
  printf("workspace %zu bytes (batch 1)", model->workspace_size(1));
  if (config.batch > 0)
    printf(", %zu bytes (batch %lld)\n",
           model->workspace_size((size_t)config.batch), (long long)config.batch);
  else
    printf(", batch = all: grows with the data set\n");
  printf("layout    %016llx\n", (unsigned long long)model->layout_hash);
  if (model->train)
    print_train_block(&config);
  if ((opts->weights || cat_baked_weights(model)) &&
      print_weights(model, opts) != 0)
    return CAT_EXIT_ERROR;
  return CAT_EXIT_OK;
}
