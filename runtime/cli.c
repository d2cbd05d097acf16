/*===- cli.c - cat_main: the command line of generated executables -------===*
 *
 * Parses `prog [COMMAND] [FLAGS] [FILE]` into cat_options and runs the
 * command. A mistake on the command line (unknown command or flag, missing
 * or malformed value) is a usage error: one message on stderr naming the
 * flag, a pointer to --help, and exit status 2, before any work is done.
 * Flags accept both `--flag value` and `--flag=value`.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *program_name(const char *argv0) {
  const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
  return slash ? slash + 1 : argv0 ? argv0 : "model";
}

static void print_usage(const cat_model *model, const char *prog) {
  printf(
      "usage: %s [COMMAND] [FLAGS]\n"
      "\n"
      "Model '%s' of module '%s', compiled by catc.\n"
      "\n"
      "commands:\n"
      "  train                      train on the data set (the default)\n"
      "  eval --weights W           loss and accuracy of weights W on the data\n"
      "  predict --weights W FILE   the model's answer for every row of FILE\n"
      "  gradcheck                  compare gradients with finite differences\n"
      "  info [--weights W]         objects, parameters and memory of the model;\n"
      "                             with W, each tensor's sum and first values\n"
      "  generate [--weights W]     continue --prompt by sampling from a model\n"
      "                             trained on text(...) or tokens(...)\n"
      "  quantize --out Wq          int8 weights for the model's dense layers,\n"
      "                             calibrated on the data (--weights W: the\n"
      "                             float weights; --examples N: the first N rows)\n"
      "  help                       this message\n"
      "\n"
      "flags:\n"
      "  --data F         data file (csv, or text/tokens as the train block says)\n"
      "  --epochs N       number of passes over the training data\n"
      "  --batch N|all    examples per step (all: full-batch)\n"
      "  --lr X           learning rate\n"
      "  --schedule S     learning rate per step: constant,\n"
      "                   'step(every = K, gamma = G)' or 'cosine(warmup = K)'\n"
      "  --weight-decay X SGD: L2 on the gradient; Adam: decoupled (AdamW)\n"
      "  --clip X         scale the gradient to norm X when it is larger\n"
      "  --validation F   hold out the fraction F of the data (0 <= F < 1)\n"
      "  --patience K     stop after K epochs without a better validation loss\n"
      "                   and keep the best epoch's weights\n"
      "  --seed N         seed of initialisation, shuffling and the split\n"
      "  --threads N      threads for train, eval and predict (default: one per\n"
      "                   core); results do not depend on it\n"
      "  --shards K       train: split each batch into at most K shards of at\n"
      "                   least 16 examples, run in parallel (default 2)\n"
      "  --out W          where train writes the checkpoint "
      "(default: %s.safetensors),\n"
      "                   quantize the int8 weights\n"
      "  --init W         start training from the weights in W\n"
      "  --resume W       continue the run saved in W up to --epochs (writes\n"
      "                   back to W unless --out is given)\n"
      "  --log F          train: one CSV row per epoch "
      "(epoch,loss,accuracy,val_loss,val_acc;\n"
      "                   r2 and val_r2 for regression)\n"
      "  --weights W      the weights eval, predict, gradcheck, info, generate and\n"
      "                   quantize use (generate: default %s.safetensors)\n"
      "  --examples N     quantize: calibrate on the first N rows of the data\n"
      "                   (default: all)\n"
      "  --prompt TEXT    generate: the text to continue (default: none)\n"
      "  --tokens N       generate: how many tokens to add (default 100)\n"
      "  --temperature T  generate: sampling temperature, 0 = greedy "
      "(default 1)\n"
      "  --json           eval, train: print the result as one JSON object\n"
      "  --confusion      eval: print the confusion matrix of a classifier\n"
      "  --probabilities  predict: each class's probability after the class\n"
      "  --output F       predict: write a CSV file (with a header) to F\n"
      "  --quiet          train: print only the final summary\n"
      "  --help           this message\n",
      prog, model->morphism, model->module, model->module, model->module);
  if (cat_baked_weights(model))
    printf("\nThe weights of %s are compiled in: eval, predict, gradcheck, info and\n"
           "generate use them unless --weights W is given, and train starts from\n"
           "them unless --init, --resume or --seed is given.\n",
           model->weights_file);
  if (cat_baked_weights(model) && model->quant_magic == CAT_QUANT_MAGIC &&
      model->forward_int8)
    printf("They are int8 weights: eval and predict run their dense layers on\n"
           "integers; the other commands see them dequantized.\n");
}

static int usage_error(const char *prog, const char *fmt, const char *a,
                       const char *b) {
  fflush(stdout);
  fprintf(stderr, "error: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\nrun '%s --help' for the commands and flags\n", prog);
  return -1;
}

static int parse_int(const char *text, int64_t min, int64_t *out) {
  char *end;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno != 0 || value < min)
    return -1;
  *out = value;
  return 0;
}

static int parse_seed(const char *text, uint64_t *out) {
  char *end;
  errno = 0;
  if (*text == '\0' || *text == '-')
    return -1;
  unsigned long long value = strtoull(text, &end, 10);
  if (*end != '\0' || errno != 0)
    return -1;
  *out = value;
  return 0;
}

static int parse_lr(const char *text, float *out) {
  char *end;
  double value = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !isfinite(value) || value <= 0)
    return -1;
  *out = (float)value;
  return 0;
}

static int parse_number_at_least(const char *text, double min, int open,
                                  double *out) {
  char *end;
  double value = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !isfinite(value) || value < min ||
      (open && value == min))
    return -1;
  *out = value;
  return 0;
}

/* A learning-rate schedule as the train block writes it: constant,
 * step(every = K, gamma = G) or cosine(warmup = K), spaces optional. */
static int parse_schedule(const char *text, cat_options *o) {
  char name[16] = "", key[16], rest[160];
  int used = 0;
  if (sscanf(text, " %15[a-z] %n", name, &used) != 1)
    return -1;
  const char *p = text + used;
  o->schedule_every = 0;
  o->schedule_gamma = 0.1;
  if (!strcmp(name, "constant") && *p == '\0')
    return (o->schedule = CAT_SCHEDULE_CONSTANT, 0);
  if (strcmp(name, "step") != 0 && strcmp(name, "cosine") != 0)
    return -1;
  int step = !strcmp(name, "step"), has_every = 0, has_gamma = 0;
  o->schedule = step ? CAT_SCHEDULE_STEP : CAT_SCHEDULE_COSINE;
  if (*p != '(')
    return step ? -1 : 0;
  ++p;
  while (*p == ' ')
    ++p;
  if (!step && p[0] == ')' && p[1] == '\0')
    return 0;  /* cosine(): no warm-up, as in the train block */
  for (;;) {
    double value;
    if (sscanf(p, " %15[a-z] = %159[^,)] %n", key, rest, &used) != 2)
      return -1;
    p += used;
    char *end = rest + strlen(rest);
    while (end > rest && end[-1] == ' ')
      *--end = '\0';
    if (parse_number_at_least(rest, 0, 0, &value) != 0)
      return -1;
    if ((step && !strcmp(key, "every")) || (!step && !strcmp(key, "warmup"))) {
      if (has_every || value != floor(value) || value > 1e15 || (step && value < 1))
        return -1;
      o->schedule_every = (int64_t)value, has_every = 1;
    } else if (step && !strcmp(key, "gamma") && !has_gamma && value > 0 && value <= 1)
      o->schedule_gamma = value, has_gamma = 1;
    else
      return -1;
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p++ != ')')
      return -1;
    while (*p == ' ')
      ++p;
    return *p == '\0' && (has_every || !step) ? 0 : -1;
  }
}

static int parse_temperature(const char *text, double *out) {
  char *end;
  double value = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !isfinite(value) || value < 0)
    return -1;
  *out = value;
  return 0;
}

/* Parses the value of a flag that takes one; 0 on success. */
static int set_value(cat_options *o, const char *flag, const char *value) {
  if (!strcmp(flag, "--data")) o->data = value;
  else if (!strcmp(flag, "--weights")) o->weights = value;
  else if (!strcmp(flag, "--out")) o->out = value;
  else if (!strcmp(flag, "--init")) o->init = value;
  else if (!strcmp(flag, "--resume")) o->resume = value;
  else if (!strcmp(flag, "--log")) o->log = value;
  else if (!strcmp(flag, "--output")) o->output = value;
  else if (!strcmp(flag, "--weight-decay"))
    return (o->has_weight_decay = 1,
            parse_number_at_least(value, 0, 0, &o->weight_decay));
  else if (!strcmp(flag, "--clip"))
    return (o->has_clip = 1, parse_number_at_least(value, 0, 1, &o->clip));
  else if (!strcmp(flag, "--patience"))
    return (o->has_patience = 1, parse_int(value, 1, &o->patience));
  else if (!strcmp(flag, "--validation")) {
    o->has_validation = 1;
    if (parse_number_at_least(value, 0, 0, &o->validation) != 0 ||
        o->validation >= 1)
      return -1;
    return 0;
  } else if (!strcmp(flag, "--schedule"))
    return (o->has_schedule = 1, parse_schedule(value, o));
  else if (!strcmp(flag, "--epochs"))
    return (o->has_epochs = 1, parse_int(value, 0, &o->epochs));
  else if (!strcmp(flag, "--batch")) {
    o->has_batch = 1;
    if (!strcmp(value, "all"))
      return (o->batch = 0, 0);
    return parse_int(value, 1, &o->batch);
  } else if (!strcmp(flag, "--lr"))
    return (o->has_lr = 1, parse_lr(value, &o->lr));
  else if (!strcmp(flag, "--seed"))
    return (o->has_seed = 1, parse_seed(value, &o->seed));
  else if (!strcmp(flag, "--prompt"))
    return (o->prompt = value, 0);  /* an empty prompt is a prompt */
  else if (!strcmp(flag, "--tokens"))
    return parse_int(value, 0, &o->tokens);
  else if (!strcmp(flag, "--examples"))
    return (o->has_examples = 1, parse_int(value, 1, &o->examples));
  else if (!strcmp(flag, "--temperature"))
    return parse_temperature(value, &o->temperature);
  else if (!strcmp(flag, "--threads"))
    return parse_int(value, 1, &o->threads) != 0 || o->threads > CAT_MAX_THREADS ? -1 : 0;
  else if (!strcmp(flag, "--shards"))
    return (o->has_shards = 1,
            parse_int(value, 1, &o->shards) != 0 || o->shards > CAT_MAX_SHARDS ? -1 : 0);
  return *value ? 0 : -1;
}

static const char *value_flags[] = {"--data", "--weights", "--out", "--init",
                                    "--resume", "--log", "--epochs", "--batch",
                                    "--lr", "--seed", "--prompt", "--tokens",
                                    "--temperature", "--output",
                                    "--weight-decay", "--clip", "--validation",
                                    "--schedule", "--patience", "--threads",
                                    "--shards", "--examples"};
static const char *value_hints[] = {
    "a file name", "a file name", "a file name", "a file name", "a file name",
    "a file name",
    "a non-negative integer", "a positive integer or 'all'",
    "a positive number", "a non-negative integer", "a text",
    "a non-negative integer", "a non-negative number", "a file name",
    "a non-negative number", "a positive number", "a fraction in [0, 1)",
    "constant, step(every = K, gamma = G) or cosine(warmup = K)",
    "a positive integer", "an integer from 1 to 256", "an integer from 1 to 1024",
    "a positive integer"};

static int find_value_flag(const char *flag, size_t len) {
  for (int i = 0; i < (int)(sizeof value_flags / sizeof *value_flags); ++i)
    if (strlen(value_flags[i]) == len && !strncmp(flag, value_flags[i], len))
      return i;
  return -1;
}

static int parse_switch(cat_options *o, const char *arg) {
  if (!strcmp(arg, "--quiet")) o->quiet = 1;
  else if (!strcmp(arg, "--json")) o->json = 1;
  else if (!strcmp(arg, "--confusion")) o->confusion = 1;
  else if (!strcmp(arg, "--probabilities")) o->probabilities = 1;
  else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) o->command = CAT_CMD_HELP;
  else return -1;
  return 0;
}

/* One flag at argv[*i], consuming its value; 0 on success. */
static int parse_flag(cat_options *o, const char *prog, int argc, char **argv,
                      int *i) {
  const char *arg = argv[*i], *eq = strchr(arg, '=');
  size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
  int which = find_value_flag(arg, name_len);
  if (which < 0) {
    if (!eq && parse_switch(o, arg) == 0)
      return 0;
    return usage_error(prog, "unknown flag '%s'%s", arg, "");
  }
  const char *flag = value_flags[which], *value = eq ? eq + 1 : NULL;
  if (!value && *i + 1 >= argc)
    return usage_error(prog, "%s needs a value (%s)", flag, value_hints[which]);
  if (!value)
    value = argv[++*i];
  if (set_value(o, flag, value) != 0) {
    char message[96];
    snprintf(message, sizeof message, "%%s: '%%s' is not %s",
             value_hints[which]);
    return usage_error(prog, message, flag, value);
  }
  return 0;
}

static int parse_command(cat_options *o, const char *word) {
  static const struct { const char *name; cat_command command; } commands[] = {
      {"train", CAT_CMD_TRAIN}, {"eval", CAT_CMD_EVAL},
      {"predict", CAT_CMD_PREDICT}, {"info", CAT_CMD_INFO},
      {"gradcheck", CAT_CMD_GRADCHECK}, {"generate", CAT_CMD_GENERATE},
      {"quantize", CAT_CMD_QUANTIZE}, {"help", CAT_CMD_HELP}};
  for (size_t i = 0; i < sizeof commands / sizeof *commands; ++i)
    if (!strcmp(word, commands[i].name)) {
      o->command = commands[i].command;
      return 0;
    }
  return -1;
}

static int check_required(const cat_model *model, const cat_options *o,
                          const char *prog) {
  /* Weights compiled in (catc --weights) stand in for --weights. */
  int needs_weights = (o->command == CAT_CMD_EVAL ||
                       o->command == CAT_CMD_PREDICT) &&
                      !cat_baked_weights(model);
  const char *name = o->command == CAT_CMD_EVAL ? "eval" : "predict";
  if (needs_weights && !o->weights)
    return usage_error(prog, "%s needs --weights W%s", name, "");
  if (o->command == CAT_CMD_QUANTIZE && !o->out)
    return usage_error(prog, "quantize needs --out Wq (where the int8 weights "
                       "go)%s%s", "", "");
  if (o->command == CAT_CMD_PREDICT && !o->predict_file)
    return usage_error(prog, "predict needs a data FILE%s%s", "", "");
  if (o->init && o->resume)
    return usage_error(prog, "--init and --resume exclude each other (--init "
                       "starts a new run from weights, --resume continues "
                       "one)%s%s", "", "");
  return 0;
}

static int parse_args(const cat_model *model, cat_options *o, const char *prog,
                      int argc, char **argv) {
  memset(o, 0, sizeof *o);
  o->tokens = 100;
  o->temperature = 1.0;
  int i = 1;
  if (argc > 1 && argv[1][0] != '-') {
    if (parse_command(o, argv[1]) != 0)
      return usage_error(prog, "unknown command '%s'%s", argv[1], "");
    i = 2;
  }
  cat_command chosen = o->command;
  for (; i < argc; ++i) {
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      if (parse_flag(o, prog, argc, argv, &i) != 0)
        return -1;
    } else if (chosen == CAT_CMD_PREDICT && !o->predict_file) {
      o->predict_file = argv[i];
    } else {
      return usage_error(prog, "unexpected argument '%s'%s", argv[i], "");
    }
  }
  return o->command == CAT_CMD_HELP ? 0 : check_required(model, o, prog);
}

void cat_effective_config(const cat_model *model, const cat_options *opts,
                          cat_train_config *config) {
  static const cat_train_config defaults = {
      .data_kind = CAT_DATA_NONE, .target_index = -1,
      .optimizer = CAT_OPT_SGD, .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f,
      .eps = 1e-8f, .epochs = 10, .batch = 0, .seed = 0, .validation = 0};
  *config = model->train ? *model->train : defaults;
  if (opts->data && config->data_kind == CAT_DATA_NONE)
    config->data_kind = CAT_DATA_CSV;
  if (opts->has_epochs) config->epochs = opts->epochs;
  if (opts->has_batch) config->batch = opts->batch;
  if (opts->has_lr) config->lr = opts->lr;
  if (opts->has_weight_decay) config->weight_decay = (float)opts->weight_decay;
  if (opts->has_clip) config->clip = (float)opts->clip;
  if (opts->has_validation) config->validation = opts->validation;
  if (opts->has_patience) config->patience = opts->patience;
  if (opts->has_schedule) {
    config->schedule = opts->schedule;
    config->schedule_every = opts->schedule_every;
    config->schedule_gamma = (float)opts->schedule_gamma;
  }
  if (opts->has_seed) config->seed = opts->seed;
}

/* With int8 weights compiled in, eval and predict of those weights run the
 * integer model: the descriptor with its int8 forward and evaluate. */
static const cat_model *int8_view(const cat_model *model,
                                  const cat_options *opts, cat_model *view) {
  if (opts->weights || model->quant_magic != CAT_QUANT_MAGIC ||
      !model->forward_int8 || !cat_baked_weights(model))
    return model;
  *view = *model;
  view->forward = model->forward_int8;
  if (model->evaluate_int8)
    view->evaluate = model->evaluate_int8;
  return view;
}

static int run_command(const cat_model *model, const cat_options *opts,
                       const char *prog) {
  cat_model view;
  switch (opts->command) {
  case CAT_CMD_HELP: print_usage(model, prog); return CAT_EXIT_OK;
  case CAT_CMD_EVAL: return cat_cmd_eval(int8_view(model, opts, &view), opts);
  case CAT_CMD_PREDICT: return cat_cmd_predict(int8_view(model, opts, &view), opts);
  case CAT_CMD_INFO: return cat_cmd_info(model, opts);
  case CAT_CMD_GRADCHECK: return cat_cmd_gradcheck(model, opts);
  case CAT_CMD_GENERATE: return cat_cmd_generate(model, opts);
  case CAT_CMD_QUANTIZE: return cat_cmd_quantize(model, opts);
  case CAT_CMD_TRAIN: break;
  }
  return cat_cmd_train(model, opts);
}

int cat_main(const cat_model *model, int argc, char **argv) {
  if (cat_comm_start(&argc, &argv) != 0)
    return CAT_EXIT_ERROR;
  /* Every rank of an MPI job runs the same command to the same result;
   * rank 0 speaks for them (errors still come from each). */
  if (cat_comm_rank() != 0 && !freopen("/dev/null", "w", stdout))
    return CAT_EXIT_ERROR;
  const char *prog = program_name(argc > 0 ? argv[0] : NULL);
  cat_options opts;
  int status = parse_args(model, &opts, prog, argc, argv) != 0
                   ? CAT_EXIT_USAGE
                   : run_command(model, &opts, prog);
  cat_comm_stop(status);
  return status;
}
