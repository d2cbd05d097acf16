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
  if (!has_rows)
    fprintf(progress->log, "epoch,loss,accuracy,val_loss,val_acc\n");
  return 0;
}

int cat_progress_begin(cat_progress *progress, const cat_model *model,
                       int64_t train_count, int64_t val_count,
                       const char *log_path, int resuming) {
  progress->live = !progress->quiet && isatty(fileno(stdout));
  progress->train_count = train_count;
  progress->started = progress->epoch_started = now();
  progress->last_acc = NAN;
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

static void print_pair(const char *prefix, const cat_metrics *metrics) {
  printf("  %sloss %.4f", prefix, metrics->loss);
  if (metrics->has_accuracy)
    printf("  %sacc %.4f", prefix, metrics->accuracy);
}

static void log_number(FILE *log, int present, double value) {
  if (present && isfinite(value))
    fprintf(log, ",%.9g", value);
  else
    fputc(',', log);
}

static void log_row(FILE *log, int64_t epoch, const cat_metrics *train,
                    const cat_metrics *val) {
  int has_val = val && val->examples > 0;
  fprintf(log, "%lld", (long long)epoch);
  log_number(log, 1, train->loss);
  log_number(log, train->has_accuracy, train->accuracy);
  log_number(log, has_val, has_val ? val->loss : 0);
  log_number(log, has_val && val->has_accuracy, has_val ? val->accuracy : 0);
  fputc('\n', log);
  fflush(log);  /* plots of a running job see every finished epoch */
}

void cat_progress_epoch(cat_progress *progress, int64_t epoch,
                        const cat_metrics *train, const cat_metrics *val) {
  if (progress->log)
    log_row(progress->log, epoch, train, val);
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
  print_pair("", train);
  if (val && val->examples > 0)
    print_pair("val_", val);
  printf(progress->live && epoch < progress->epochs ? "\033[K" : "\n");
  fflush(stdout);
}

static void print_json_number(FILE *out, double value) {
  if (isfinite(value))
    fprintf(out, "%.9g", value);
  else
    fprintf(out, "null");
}

static void print_json_summary(const cat_progress *progress,
                               const char *checkpoint, int64_t epochs,
                               const cat_metrics *train,
                               const cat_metrics *val) {
  cat_strbuf path = {0};
  cat_sb_json_string(&path, checkpoint);
  printf("{\"epochs\": %lld, \"loss\": ", (long long)epochs);
  print_json_number(stdout, train->loss);
  if (train->has_accuracy)
    printf(", \"accuracy\": "), print_json_number(stdout, train->accuracy);
  if (val && val->examples > 0) {
    printf(", \"val_loss\": ");
    print_json_number(stdout, val->loss);
    if (val->has_accuracy)
      printf(", \"val_acc\": "), print_json_number(stdout, val->accuracy);
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
  print_pair("", train);
  if (val && val->examples > 0)
    print_pair("val_", val);
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
