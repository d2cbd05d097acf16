/*===- progress.c - What a training run and eval print -------------------===*
 *
 * One line per epoch on stdout (`epoch 12/200  loss 0.4312  acc 0.9250
 * val_loss 0.4100  val_acc 0.9300`), or a single line rewritten in place
 * when stdout is a terminal, so logs stay greppable while an interactive run
 * stays compact. --quiet keeps only the final summary.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <math.h>
#include <unistd.h>

void cat_progress_begin(cat_progress *progress, const cat_model *model,
                        int64_t train_count, int64_t val_count,
                        int64_t epochs, int quiet) {
  progress->quiet = quiet;
  progress->live = !quiet && isatty(fileno(stdout));
  progress->epochs = epochs;
  progress->last_print = 0;
  if (quiet)
    return;
  printf("training '%s' on %lld examples", model->morphism,
         (long long)train_count);
  if (val_count > 0)
    printf(" (%lld held out for validation)", (long long)val_count);
  printf(", %lld epochs\n", (long long)epochs);
  fflush(stdout);
}

static void print_pair(const char *prefix, const cat_metrics *metrics) {
  printf("  %sloss %.4f", prefix, metrics->loss);
  if (metrics->has_accuracy)
    printf("  %sacc %.4f", prefix, metrics->accuracy);
}

void cat_progress_epoch(cat_progress *progress, int64_t epoch,
                        const cat_metrics *train, const cat_metrics *val) {
  if (progress->quiet)
    return;
  int width = snprintf(NULL, 0, "%lld", (long long)progress->epochs);
  if (progress->live)
    printf("\r");
  printf("epoch %*lld/%lld", width, (long long)epoch,
         (long long)progress->epochs);
  print_pair("", train);
  if (val && val->examples > 0)
    print_pair("val_", val);
  printf(progress->live && epoch < progress->epochs ? "\033[K" : "\n");
  fflush(stdout);
  progress->last_print = epoch;
}

void cat_progress_end(cat_progress *progress, const char *checkpoint,
                      const cat_metrics *train, const cat_metrics *val) {
  printf("final");
  print_pair("", train);
  if (val && val->examples > 0)
    print_pair("val_", val);
  printf("\nsaved weights to %s\n", checkpoint);
  fflush(stdout);
}

static void print_json_number(FILE *out, double value) {
  if (isfinite(value))
    fprintf(out, "%.6g", value);
  else
    fprintf(out, "null");
}

void cat_print_metrics(FILE *out, const cat_metrics *metrics, int json) {
  if (json) {
    fprintf(out, "{\"loss\": ");
    print_json_number(out, metrics->loss);
    if (metrics->has_accuracy) {
      fprintf(out, ", \"accuracy\": ");
      print_json_number(out, metrics->accuracy);
    }
    fprintf(out, ", \"examples\": %lld}\n", (long long)metrics->examples);
    return;
  }
  fprintf(out, "loss %.4f", metrics->loss);
  if (metrics->has_accuracy)
    fprintf(out, "  accuracy %.4f", metrics->accuracy);
  fprintf(out, "  (%lld examples)\n", (long long)metrics->examples);
}
