/*===- progress.c - What a training run and eval print -------------------===*
 *
 * One line per epoch on stdout (`epoch 12/200  loss 0.4312  acc 0.9250
 * val_loss 0.4100  val_acc 0.9300`) when stdout is a file or a pipe, so logs
 * stay greppable. On a terminal, a live bar is redrawn in place during each
 * epoch (progress, running loss, the last accuracy, examples/s, ETA) and
 * replaced by that epoch's line when it ends. --quiet keeps only the final
 * summary, --json prints that summary as one JSON object, and --log writes
 * one CSV row per epoch (epoch,loss,accuracy,val_loss,val_acc) for plotting.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Redraw the bar at most this often: drawing must not cost training time. */
static const double DRAW_INTERVAL = 0.1;
enum { BAR_WIDTH = 24 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int open_log(cat_progress *progress, const char *path, int resuming) {
  /* A resumed run continues the log of the run it resumes. */
  FILE *existing = resuming ? fopen(path, "r") : NULL;
  int has_rows = existing && fgetc(existing) != EOF;
  if (existing)
    fclose(existing);
  progress->log = fopen(path, has_rows ? "a" : "w");
  if (!progress->log) {
    cat_error("%s: cannot write the log: %s", path, strerror(errno));
    return -1;
  }
  if (!has_rows) {
    const char *name = progress->regression ? "r2" : "accuracy";
    fprintf(progress->log, "epoch,loss,%s,val_loss,val_%s", name,
            progress->regression ? "r2" : "acc");
    for (int32_t h = 0; h < progress->num_heads; ++h)
      fprintf(progress->log, ",val_%s", progress->head_names[h]);
    fputc('\n', progress->log);
  }
  return 0;
}

int cat_progress_begin(cat_progress *progress, const cat_model *model,
                       int64_t train_count, int64_t val_count,
                       const char *log_path, int resuming) {
  /* Under mpirun stdout is always a terminal (mpirun's own), whatever
   * mpirun writes to: an MPI job prints plain lines. */
  progress->live = !progress->quiet && isatty(fileno(stdout)) && cat_comm_size() == 1;
  progress->train_count = train_count;
  progress->started = progress->epoch_started = now();
  progress->last_acc = NAN;
  progress->regression = cat_scores_kind(model) == CAT_LOSS_REGRESSION;
  if (cat_model_has_heads(model)) {
    progress->num_heads = model->num_heads;
    progress->head_names = model->head_names;
  }
  if (log_path && open_log(progress, log_path, resuming) != 0)
    return -1;
  if (progress->quiet)
    return 0;
  printf("training '%s' on %lld examples", model->morphism,
         (long long)train_count);
  if (val_count > 0)
    printf(" (%lld held out for validation)", (long long)val_count);
  if (progress->first_epoch > 1)
    printf(", epochs %lld to %lld\n", (long long)progress->first_epoch,
           (long long)progress->epochs);
  else
    printf(", %lld epochs\n", (long long)progress->epochs);
  fflush(stdout);
  return 0;
}

static void draw_bar(cat_progress *progress, int64_t done, double t) {
  double fraction = (double)done / (double)progress->train_count;
  double rate = (double)done / fmax(t - progress->epoch_started, 1e-9);
  int64_t left_epochs = progress->epochs - progress->first_epoch;
  double eta = ((1 - fraction) + (double)left_epochs) *
               (double)progress->train_count / fmax(rate, 1e-9);
  char bar[BAR_WIDTH + 1];
  int filled = (int)(fraction * BAR_WIDTH);
  for (int i = 0; i < BAR_WIDTH; ++i)
    bar[i] = i < filled ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  printf("\repoch %lld/%lld [%s] loss %.4f", (long long)progress->first_epoch,
         (long long)progress->epochs, bar,
         progress->loss_sum / (double)progress->steps);
  if (!isnan(progress->last_acc))
    printf("  acc %.4f", progress->last_acc);
  printf("  %.0f ex/s  ETA %lld:%02lld\033[K", rate, (long long)eta / 60,
         (long long)eta % 60);
  fflush(stdout);
  progress->last_draw = t;
}

void cat_progress_step(cat_progress *progress, int64_t done, float loss) {
  progress->loss_sum += loss;
  progress->steps += 1;
  if (!progress->live)
    return;
  double t = now();
  if (t - progress->last_draw >= DRAW_INTERVAL)
    draw_bar(progress, done, t);
}

/* The one metric an epoch's line shows besides the loss: accuracy for
 * the classifiers, R² for regression. */
static int headline(const cat_metrics *metrics, const char **name,
                    double *value) {
  if (metrics->kind == CAT_LOSS_REGRESSION && metrics->examples > 0) {
    *name = "r2", *value = metrics->r2;
    return 1;
  }
  *name = "acc", *value = metrics->accuracy;
  return metrics->has_accuracy;
}

static void print_pair(const cat_progress *progress, const char *prefix,
                       const cat_metrics *metrics) {
  const char *name;
  double value;
  printf("  %sloss %.4f", prefix, metrics->loss);
  for (int32_t h = 0; h < metrics->num_heads && h < progress->num_heads; ++h)
    printf("  %s%s %.4f", prefix, progress->head_names[h], metrics->head_loss[h]);
  if (headline(metrics, &name, &value))
    printf("  %s%s %.4f", prefix, name, value);
}

static void log_number(FILE *log, int present, double value) {
  if (present && isfinite(value))
    fprintf(log, ",%.9g", value);
  else
    fputc(',', log);
}

static void log_row(const cat_progress *progress, FILE *log, int64_t epoch,
                    const cat_metrics *train, const cat_metrics *val) {
  int has_val = val && val->examples > 0;
  const char *name;
  double value = 0;
  fprintf(log, "%lld", (long long)epoch);
  log_number(log, 1, train->loss);
  int present = headline(train, &name, &value);
  log_number(log, present, value);
  log_number(log, has_val, has_val ? val->loss : 0);
  present = has_val && headline(val, &name, &value);
  log_number(log, present, value);
  for (int32_t h = 0; h < progress->num_heads; ++h)
    log_number(log, has_val && val->num_heads > h, has_val ? val->head_loss[h] : 0);
  fputc('\n', log);
  fflush(log);  /* plots of a running job see every finished epoch */
}

void cat_progress_epoch(cat_progress *progress, int64_t epoch,
                        const cat_metrics *train, const cat_metrics *val) {
  if (progress->log)
    log_row(progress, progress->log, epoch, train, val);
  progress->first_epoch = epoch + 1;  /* the bar's epoch and the ETA */
  progress->epoch_started = now();
  progress->loss_sum = 0;
  progress->steps = 0;
  progress->last_acc = train->has_accuracy ? train->accuracy : NAN;
  if (progress->quiet)
    return;
  int width = snprintf(NULL, 0, "%lld", (long long)progress->epochs);
  if (progress->live)
    printf("\r");
  printf("epoch %*lld/%lld", width, (long long)epoch,
         (long long)progress->epochs);
  print_pair(progress, "", train);
  if (val && val->examples > 0)
    print_pair(progress, "val_", val);
  printf(progress->live && epoch < progress->epochs ? "\033[K" : "\n");
  fflush(stdout);
}

static void print_json_number(FILE *out, double value) {
  if (isfinite(value))
    fprintf(out, "%.9g", value);
  else
    fprintf(out, "null");
}

/* The metrics of the model's kind as JSON members ", \"name\": value",
 * names prefixed (the validation split's accuracy is "val_acc"). */
typedef struct named_value {
  const char *name;
  double value;
} named_value;

static void print_json_metrics(FILE *out, const cat_metrics *m,
                               const char *prefix) {
  named_value fields[4];
  int count = 0;
  if (m->has_accuracy)
    fields[count++] = (named_value){*prefix ? "acc" : "accuracy", m->accuracy};
  if (m->kind == CAT_LOSS_CLASSES && m->examples > 0)
    fields[count++] = (named_value){"macro_f1", m->macro_f1};
  if (m->kind == CAT_LOSS_BINARY && m->examples > 0) {
    fields[count++] = (named_value){"precision", m->precision};
    fields[count++] = (named_value){"recall", m->recall};
    fields[count++] = (named_value){"f1", m->f1};
  }
  if (m->kind == CAT_LOSS_REGRESSION && m->examples > 0) {
    fields[count++] = (named_value){"mse", m->mse};
    fields[count++] = (named_value){"mae", m->mae};
    fields[count++] = (named_value){"r2", m->r2};
  }
  for (int i = 0; i < count; ++i) {
    fprintf(out, ", \"%s%s\": ", prefix, fields[i].name);
    print_json_number(out, fields[i].value);
  }
}

static void print_json_summary(const cat_progress *progress,
                               const char *checkpoint, int64_t epochs,
                               const cat_metrics *train,
                               const cat_metrics *val) {
  cat_strbuf path = {0};
  cat_sb_json_string(&path, checkpoint);
  printf("{\"epochs\": %lld, \"loss\": ", (long long)epochs);
  print_json_number(stdout, train->loss);
  print_json_metrics(stdout, train, "");
  if (val && val->examples > 0) {
    printf(", \"val_loss\": ");
    print_json_number(stdout, val->loss);
    if (val->num_heads == 2) {
      printf(", \"val_head_losses\": [");
      print_json_number(stdout, val->head_loss[0]);
      printf(", ");
      print_json_number(stdout, val->head_loss[1]);
      printf("]");
    }
    print_json_metrics(stdout, val, "val_");
  }
  printf(", \"examples\": %lld, \"seconds\": %.3f, \"checkpoint\": %s}\n",
         (long long)train->examples, now() - progress->started, path.data);
  cat_sb_free(&path);
}

void cat_progress_end(cat_progress *progress, const char *checkpoint,
                      int64_t epochs, const cat_metrics *train,
                      const cat_metrics *val) {
  if (progress->json) {
    print_json_summary(progress, checkpoint, epochs, train, val);
    fflush(stdout);
    return;
  }
  printf("final");
  print_pair(progress, "", train);
  if (val && val->examples > 0)
    print_pair(progress, "val_", val);
  printf("\nsaved weights to %s\n", checkpoint);
  fflush(stdout);
}

void cat_progress_interrupted(cat_progress *progress, const char *checkpoint,
                              int64_t epoch, int64_t batch) {
  if (progress->live)
    printf("\n");
  fflush(stdout);
  fprintf(stderr, "interrupted in epoch %lld after batch %lld; saved %s "
          "(continue with --resume %s)\n", (long long)epoch, (long long)batch,
          checkpoint, checkpoint);
}

void cat_progress_close(cat_progress *progress) {
  if (progress->log)
    fclose(progress->log);
  progress->log = NULL;
}

/* The confusion matrix, rows the targets and columns the predictions,
 * each headed by its class name. */
static void print_confusion(FILE *out, const cat_metrics *m,
                            const cat_classes *classes, int json) {
  int32_t k = m->classes;
  char number[32];
  if (json) {
    fprintf(out, ", \"classes\": [");
    for (int32_t c = 0; c < k; ++c) {
      cat_strbuf name = {0};
      snprintf(number, sizeof number, "%d", (int)c);
      cat_sb_json_string(&name, c < classes->count ? classes->names[c] : number);
      fprintf(out, "%s%s", c ? ", " : "", name.data);
      cat_sb_free(&name);
    }
    fprintf(out, "], \"confusion\": [");
    for (int32_t r = 0; r < k; ++r) {
      fprintf(out, "%s[", r ? ", " : "");
      for (int32_t c = 0; c < k; ++c)
        fprintf(out, "%s%lld", c ? ", " : "",
                (long long)m->confusion[(size_t)r * (size_t)k + (size_t)c]);
      fprintf(out, "]");
    }
    fprintf(out, "]");
    return;
  }
  int width = 6;  /* at least "target" */
  for (int32_t c = 0; c < k; ++c) {
    int w = c < classes->count ? (int)strlen(classes->names[c])
                               : snprintf(number, sizeof number, "%d", (int)c);
    width = w > width ? w : width;
  }
  for (int32_t c = 0; c < k * k; ++c) {
    int w = snprintf(number, sizeof number, "%lld", (long long)m->confusion[c]);
    width = w > width ? w : width;
  }
  fprintf(out, "confusion matrix (rows: target, columns: prediction)\n");
  fprintf(out, "%-*s", width, "target");
  for (int32_t c = 0; c < k; ++c) {
    snprintf(number, sizeof number, "%d", (int)c);
    fprintf(out, "  %*s", width, c < classes->count ? classes->names[c] : number);
  }
  fputc('\n', out);
  for (int32_t r = 0; r < k; ++r) {
    snprintf(number, sizeof number, "%d", (int)r);
    fprintf(out, "%-*s", width, r < classes->count ? classes->names[r] : number);
    for (int32_t c = 0; c < k; ++c)
      fprintf(out, "  %*lld", width,
              (long long)m->confusion[(size_t)r * (size_t)k + (size_t)c]);
    fputc('\n', out);
  }
}

void cat_print_metrics(FILE *out, const cat_model *model, const cat_metrics *m,
                       int json, const cat_classes *confusion_classes) {
  int confusion = confusion_classes && m->confusion && m->examples > 0;
  if (json) {
    fprintf(out, "{\"loss\": ");
    print_json_number(out, m->loss);
    if (m->num_heads == 2) {
      cat_strbuf names = {0};
      for (int h = 0; h < 2; ++h) {
        cat_sb_append(&names, h ? ", " : "");
        cat_sb_json_string(&names, model->head_names[h]);
      }
      fprintf(out, ", \"heads\": [%s], \"head_losses\": [", names.data);
      for (int h = 0; h < 2; ++h) {
        fprintf(out, h ? ", " : "");
        print_json_number(out, m->head_loss[h]);
      }
      fprintf(out, "]");
      cat_sb_free(&names);
    }
    print_json_metrics(out, m, "");
    if (confusion)
      print_confusion(out, m, confusion_classes, 1);
    fprintf(out, ", \"examples\": %lld}\n", (long long)m->examples);
    return;
  }
  fprintf(out, "loss %.4f", m->loss);
  for (int h = 0; h < m->num_heads; ++h)
    fprintf(out, "  %s %.4f", model->head_names[h], m->head_loss[h]);
  if (m->has_accuracy)
    fprintf(out, "  accuracy %.4f", m->accuracy);
  if (m->kind == CAT_LOSS_CLASSES && m->examples > 0)
    fprintf(out, "  macro-F1 %.4f", m->macro_f1);
  if (m->kind == CAT_LOSS_BINARY && m->examples > 0)
    fprintf(out, "  precision %.4f  recall %.4f  F1 %.4f", m->precision,
            m->recall, m->f1);
  if (m->kind == CAT_LOSS_REGRESSION && m->examples > 0)
    fprintf(out, "  MSE %.6g  MAE %.6g  R2 %.4f", m->mse, m->mae, m->r2);
  fprintf(out, "  (%lld examples)\n", (long long)m->examples);
  if (confusion)
    print_confusion(out, m, confusion_classes, 0);
  else if (confusion_classes && m->classes > CAT_MAX_CONFUSION)
    fprintf(out, "no confusion matrix: %d classes, more than the %d it is "
            "kept for\n", (int)m->classes, CAT_MAX_CONFUSION);
}

void cat_progress_early_stop(cat_progress *progress, int64_t stopped,
                             int64_t patience, int64_t best_epoch,
                             double best_val_loss) {
  if (progress->quiet || progress->json)
    return;
  if (stopped > 0)
    printf("stopped early after epoch %lld: no better validation loss for "
           "%lld epochs\n", (long long)stopped, (long long)patience);
  printf("kept epoch %lld, the best validation loss (%.4f)\n",
         (long long)best_epoch, best_val_loss);
  fflush(stdout);
}
