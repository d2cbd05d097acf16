/*===- metrics.c - What a model's predictions score ---------------------===*
 *
 * The metrics a user expects depend on the kind of model, which the
 * compiler derives from the loss (cat_model.loss_kind):
 *
 *   classes     cross_entropy on Fin labels: accuracy of the argmax and
 *               macro-F1 (every label seen as a target or a prediction
 *               counts once), from per-class counts (and a confusion
 *               matrix up to CAT_MAX_CONFUSION classes: a language model's
 *               vocabulary would make it gigabytes);
 *   binary      bce: the decision sigmoid(z) >= 0.5, i.e. z >= 0, against
 *               target >= 0.5: accuracy, precision, recall, F1 of class 1;
 *   regression  a real target of the model's codomain (mse, …): MSE, MAE
 *               and R², averaged uniformly over the output elements.
 *
 * These are scikit-learn's definitions (accuracy_score, f1_score with
 * average='macro' or 'binary', precision_score, recall_score,
 * mean_squared_error, mean_absolute_error, r2_score), zero_division = 0,
 * so results can be checked against it. Statistics accumulate batch by
 * batch: counts for the classifiers, sums for regression (R² from Σy, Σy²
 * and the squared error, in double).
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fin[k] labels (one, or one per position of a sequence) and scores R[k]
 * for each: every label position is one prediction. */
static int has_class_outputs(const cat_model *model) {
  return model->num_targets == 1 && model->num_outputs == 1 &&
         model->targets[0].kind == CAT_FIN && model->outputs[0].kind == CAT_REAL &&
         model->targets[0].classes > 0 &&
         model->outputs[0].size ==
             model->targets[0].size * (int64_t)model->targets[0].classes;
}

/* Outputs and targets of one object, all real. */
static int has_real_pairs(const cat_model *model) {
  if (model->num_outputs != model->num_targets)
    return 0;
  for (int32_t f = 0; f < model->num_outputs; ++f)
    if (model->outputs[f].kind != CAT_REAL ||
        model->targets[f].kind != CAT_REAL ||
        model->outputs[f].size != model->targets[f].size)
      return 0;
  return model->num_outputs > 0;
}

int32_t cat_scores_kind(const cat_model *model) {
  int32_t loss = cat_model_loss_kind(model);
  /* Descriptors made before the loss fields scored argmax accuracy. */
  if (model->loss_magic != CAT_LOSS_MAGIC)
    return cat_model_has_accuracy(model) ? CAT_LOSS_CLASSES : CAT_LOSS_OTHER;
  if (loss == CAT_LOSS_CLASSES && has_class_outputs(model))
    return CAT_LOSS_CLASSES;
  if ((loss == CAT_LOSS_BINARY || loss == CAT_LOSS_REGRESSION) &&
      has_real_pairs(model))
    return loss;
  return CAT_LOSS_OTHER;
}

void cat_scores_init(cat_scores *s, const cat_model *model) {
  memset(s, 0, sizeof *s);
  s->kind = cat_scores_kind(model);
  if (s->kind == CAT_LOSS_CLASSES)
    s->classes = model->targets[0].classes;
  else if (s->kind == CAT_LOSS_BINARY)
    s->classes = 2;
  if (s->classes > 0 && s->classes <= CAT_MAX_CONFUSION)
    s->confusion = cat_xcalloc((size_t)s->classes * (size_t)s->classes,
                               sizeof *s->confusion);
  if (s->kind == CAT_LOSS_CLASSES)  /* true positives, targets, predictions */
    s->per_class = cat_xcalloc((size_t)s->classes * 3, sizeof *s->per_class);
  if (s->kind == CAT_LOSS_REGRESSION) {
    s->width = cat_factors_size(model->outputs, model->num_outputs);
    s->sum = cat_xcalloc((size_t)s->width * 3, sizeof *s->sum);
    s->sum_sq = s->sum + s->width;
    s->sse = s->sum_sq + s->width;
  }
}

void cat_scores_reset(cat_scores *s) {
  if (s->confusion)
    memset(s->confusion, 0,
           (size_t)s->classes * (size_t)s->classes * sizeof *s->confusion);
  if (s->per_class)
    memset(s->per_class, 0, (size_t)s->classes * 3 * sizeof *s->per_class);
  if (s->sum)
    memset(s->sum, 0, (size_t)s->width * 3 * sizeof *s->sum);
  s->sae = 0;
  s->examples = 0;
}

void cat_scores_free(cat_scores *s) {
  free(s->confusion);
  free(s->per_class);
  free(s->sum);
  memset(s, 0, sizeof *s);
}

static void add_classes(cat_scores *s, const cat_model *model,
                        void *const *outputs, void *const *targets, size_t n) {
  int32_t k = s->classes;
  size_t positions = (size_t)model->targets[0].size * n;
  const float *scores = outputs[0];
  const int32_t *labels = targets[0];
  for (size_t p = 0; p < positions; ++p, scores += k) {
    int32_t best = cat_argmax(scores, k);
    int64_t *counts = s->per_class;
    counts[(size_t)labels[p] * 3 + 1] += 1;
    counts[(size_t)best * 3 + 2] += 1;
    counts[(size_t)labels[p] * 3] += labels[p] == best;
    if (s->confusion)
      ++s->confusion[(size_t)labels[p] * (size_t)k + (size_t)best];
  }
}

static void add_pairs(cat_scores *s, const cat_model *model,
                      void *const *outputs, void *const *targets, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    int64_t j = 0;  /* element of the example, across factors */
    for (int32_t f = 0; f < model->num_outputs; ++f) {
      int64_t size = model->outputs[f].size;
      const float *out = (const float *)outputs[f] + i * (size_t)size;
      const float *target = (const float *)targets[f] + i * (size_t)size;
      for (int64_t e = 0; e < size; ++e, ++j) {
        double y = target[e], predicted = out[e];
        if (s->kind == CAT_LOSS_BINARY) {
          ++s->confusion[(y >= 0.5) * 2 + (predicted >= 0)];
          continue;
        }
        double error = y - predicted;
        s->sum[j] += y;
        s->sum_sq[j] += y * y;
        s->sse[j] += error * error;
        s->sae += fabs(error);
      }
    }
  }
}

void cat_scores_add(cat_scores *s, const cat_model *model,
                    void *const *outputs, void *const *targets, size_t n) {
  if (s->kind == CAT_LOSS_CLASSES)
    add_classes(s, model, outputs, targets, n);
  else if (s->kind != CAT_LOSS_OTHER)
    add_pairs(s, model, outputs, targets, n);
  s->examples += (int64_t)n;
}

static double ratio(double a, double b) { return b > 0 ? a / b : 0; }

static void finish_classes(const cat_scores *s, cat_metrics *m) {
  int32_t k = s->classes;
  int64_t total = 0, correct = 0, labels = 0;
  double f1_sum = 0;
  for (int32_t c = 0; c < k; ++c) {
    const int64_t *counts = s->per_class + (size_t)c * 3;
    int64_t tp = counts[0], as_target = counts[1], as_prediction = counts[2];
    total += as_target;
    correct += tp;
    if (as_target + as_prediction == 0)
      continue;  /* a label never seen is not averaged, as in scikit-learn */
    ++labels;
    f1_sum += ratio(2.0 * (double)tp, (double)(as_target + as_prediction));
  }
  m->has_accuracy = 1;
  m->accuracy = total > 0 ? (double)correct / (double)total : NAN;
  m->macro_f1 = labels > 0 ? f1_sum / (double)labels : NAN;
}

static void finish_binary(const cat_scores *s, cat_metrics *m) {
  const int64_t *c = s->confusion;  /* [truth * 2 + decision] */
  double tn = (double)c[0], fp = (double)c[1], fn = (double)c[2],
         tp = (double)c[3], total = tn + fp + fn + tp;
  m->has_accuracy = 1;
  m->accuracy = total > 0 ? (tp + tn) / total : NAN;
  m->precision = ratio(tp, tp + fp);
  m->recall = ratio(tp, tp + fn);
  m->f1 = ratio(2 * tp, 2 * tp + fp + fn);
}

static void finish_regression(const cat_scores *s, cat_metrics *m) {
  double n = (double)s->examples, sse = 0, r2 = 0;
  for (int64_t j = 0; j < s->width; ++j) {
    double total = s->sum_sq[j] - s->sum[j] * s->sum[j] / n;
    sse += s->sse[j];
    /* A constant target (up to rounding): R² is 1 for an exact fit and 0
     * otherwise (scikit-learn's force_finite). */
    r2 += total > 1e-12 * s->sum_sq[j] ? 1 - s->sse[j] / total
          : s->sse[j] == 0                ? 1 : 0;
  }
  double elements = n * (double)s->width;
  m->mse = sse / elements;
  m->mae = s->sae / elements;
  m->r2 = r2 / (double)s->width;
}

void cat_scores_finish(const cat_scores *s, cat_metrics *m) {
  m->kind = s->kind;
  m->confusion = s->confusion;
  m->classes = s->classes;
  if (s->examples == 0)
    return;
  if (s->kind == CAT_LOSS_CLASSES)
    finish_classes(s, m);
  else if (s->kind == CAT_LOSS_BINARY)
    finish_binary(s, m);
  else if (s->kind == CAT_LOSS_REGRESSION)
    finish_regression(s, m);
}
