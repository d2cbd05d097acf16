/*===- data.c - Loading CSV data sets for a model ------------------------===*
 *
 * A CSV file becomes one array per input factor and per target factor, in
 * the batch-major layout the model's functions take. The columns are
 * resolved against the train block (target by name or index, default the
 * last columns; features all the others or the listed ones), a header row
 * is detected when one is present, and class names of a Fin target are
 * mapped to labels. Every problem is reported with the file, the line and,
 * where there is one, the column.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*--- class names ---------------------------------------------------------*/

void cat_classes_free(cat_classes *classes) {
  for (int32_t i = 0; i < classes->count; ++i)
    free(classes->names[i]);
  free(classes->names);
  classes->names = NULL;
  classes->count = 0;
}

int32_t cat_classes_add(cat_classes *classes, const char *name) {
  classes->names = cat_grow(classes->names, classes->count, sizeof *classes->names);
  classes->names[classes->count] = cat_xstrdup(name);
  return classes->count++;
}

int32_t cat_classes_find(const cat_classes *classes, const char *name) {
  for (int32_t i = 0; i < classes->count; ++i)
    if (strcmp(classes->names[i], name) == 0)
      return i;
  return -1;
}

void cat_sb_classes(cat_strbuf *sb, const cat_classes *classes) {
  cat_sb_append(sb, "[");
  for (int32_t i = 0; classes && i < classes->count; ++i) {
    if (i)
      cat_sb_append(sb, ", ");
    cat_sb_json_string(sb, classes->names[i]);
  }
  cat_sb_append(sb, "]");
}

/*--- reading rows --------------------------------------------------------*/

typedef struct csv_row {
  int64_t line;     /* 1-based line number in the file */
  int32_t count;    /* fields */
  char **fields;    /* point into buffer */
  char *buffer;
} csv_row;

typedef struct csv_file {
  const char *path;
  int64_t count;
  csv_row *rows;
} csv_file;

static void free_rows(csv_file *file) {
  for (int64_t i = 0; i < file->count; ++i) {
    free(file->rows[i].fields);
    free(file->rows[i].buffer);
  }
  free(file->rows);
  file->rows = NULL;
  file->count = 0;
}

static char *trim(char *text) {
  while (isspace((unsigned char)*text))
    ++text;
  size_t len = strlen(text);
  while (len > 0 && isspace((unsigned char)text[len - 1]))
    text[--len] = '\0';
  return text;
}

/* A field starting with a quote: "" inside stands for one quote. Unquotes
 * in place; returns the position after the field or NULL if unterminated. */
static char *unquote_field(char *start) {
  char *in = start + 1, *out = start;
  for (;;) {
    if (*in == '\0')
      return NULL;
    if (*in == '"' && in[1] == '"') { *out++ = '"'; in += 2; continue; }
    if (*in == '"') break;
    *out++ = *in++;
  }
  *out = '\0';
  ++in;
  while (*in == ' ' || *in == '\t')
    ++in;
  return in;
}

/* Splits a line on commas in place. Returns 0, or -1 on a bad quote. */
static int split_fields(char *line, csv_row *row) {
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      ++p;
    char *field = p, *next;
    if (*p == '"') {
      if (!(next = unquote_field(p)) || (*next != ',' && *next != '\0'))
        return -1;
    } else {
      next = p + strcspn(p, ",");
    }
    int more = *next == ',';
    *next = '\0';
    row->fields = cat_grow(row->fields, row->count, sizeof *row->fields);
    row->fields[row->count++] = *field == '"' ? field : trim(field);
    if (!more)
      return 0;
    p = next + 1;
  }
}

static int is_blank(const char *line) {
  while (isspace((unsigned char)*line))
    ++line;
  return *line == '\0';
}

static int add_line(csv_file *file, char *line, int64_t number) {
  size_t len = strlen(line);
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    line[--len] = '\0';
  if (number == 1 && (unsigned char)line[0] == 0xEF &&
      (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF)
    memmove(line, line + 3, len - 2);  /* a UTF-8 byte order mark */
  if (is_blank(line))
    return 0;
  file->rows = cat_grow(file->rows, file->count, sizeof *file->rows);
  csv_row *row = &file->rows[file->count++];
  memset(row, 0, sizeof *row);
  row->line = number;
  row->buffer = cat_xstrdup(line);
  if (split_fields(row->buffer, row) != 0) {
    cat_error("%s: line %lld: unterminated or misplaced quote", file->path,
              (long long)number);
    return -1;
  }
  return 0;
}

static int read_rows(const char *path, csv_file *file) {
  memset(file, 0, sizeof *file);
  file->path = path;
  FILE *in = fopen(path, "r");
  if (!in) {
    cat_error("%s: cannot open data file: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  int64_t number = 0;
  int status = 0;
  while (status == 0 && getline(&line, &cap, in) >= 0)
    status = add_line(file, line, ++number);
  if (status == 0 && ferror(in)) {
    cat_error("%s: read error: %s", path, strerror(errno));
    status = -1;
  }
  free(line);
  fclose(in);
  if (status == 0 && file->count == 0) {
    cat_error("%s: the data file is empty", path);
    status = -1;
  }
  if (status != 0)
    free_rows(file);
  return status;
}

/*--- resolving columns ---------------------------------------------------*/

/* Where the model's factors come from in the file. */
typedef struct column_plan {
  int has_header;
  int32_t columns;        /* fields per row */
  int32_t target_count;   /* 0: the file holds no target */
  int32_t *targets;       /* column of each target element, in order */
  int32_t feature_count;
  int32_t *features;      /* column of each input element, in order */
} column_plan;

static int parse_number(const char *text, double *value) {
  char *end;
  if (*text == '\0')
    return -1;
  errno = 0;
  *value = strtod(text, &end);
  if (*end != '\0')
    return -1;
  return isfinite(*value) ? 0 : 1;
}

int64_t cat_factors_size(const cat_factor *factors, int32_t count) {
  int64_t total = 0;
  for (int32_t i = 0; i < count; ++i)
    total += factors[i].size;
  return total;
}

static int32_t find_column(const csv_row *header, const char *name) {
  for (int32_t i = 0; i < header->count; ++i)
    if (strcmp(header->fields[i], name) == 0)
      return i;
  return -1;
}

static void report_unknown_column(const csv_file *file, const char *name,
                                  const char *role) {
  cat_strbuf names = {0};
  const csv_row *header = &file->rows[0];
  for (int32_t i = 0; i < header->count; ++i)
    cat_sb_printf(&names, "%s'%s'", i ? ", " : "", header->fields[i]);
  cat_error("%s: no %s column named '%s' (the header has %s)", file->path,
            role, name, names.data ? names.data : "no columns");
  cat_sb_free(&names);
}

static int in_target(const column_plan *plan, int32_t column) {
  for (int32_t i = 0; i < plan->target_count; ++i)
    if (plan->targets[i] == column)
      return 1;
  return 0;
}

/* "the file has 11 columns, indexed 0 to 10": the train block counts
 * columns from 0, and the messages about indices say so. */
static void describe_columns(cat_strbuf *sb, int32_t columns) {
  cat_sb_printf(sb, "the file has %d column%s, indexed 0 to %d", (int)columns,
                columns == 1 ? "" : "s", (int)columns - 1);
}

/* The target object as the language writes it: R[10], Fin[3] or, for a
 * product, its number of elements. */
static void describe_target(cat_strbuf *sb, const cat_model *model) {
  const cat_factor *f = model->num_targets == 1 ? &model->targets[0] : NULL;
  if (f && f->kind == CAT_FIN && f->rank == 0)
    cat_sb_printf(sb, "Fin[%d]", (int)f->classes);
  else if (f && f->kind == CAT_REAL) {
    cat_sb_printf(sb, "R");
    for (int32_t d = 0; d < f->rank; ++d)
      cat_sb_printf(sb, "%s%lld", d ? ", " : "[", (long long)f->shape[d]);
    if (f->rank > 0)
      cat_sb_printf(sb, "]");
  } else
    cat_sb_printf(sb, "of %lld elements",
                  (long long)cat_factors_size(model->targets, model->num_targets));
}

static const char *loss_text(const cat_model *model) {
  return model->loss_magic == CAT_LOSS_MAGIC && model->loss_text
             ? model->loss_text : NULL;
}

int32_t cat_model_loss_kind(const cat_model *model) {
  return model->loss_magic == CAT_LOSS_MAGIC ? model->loss_kind
                                             : CAT_LOSS_OTHER;
}

/* A target of `tcount` columns from `first` that does not fit in the file. */
static void report_target_range(const csv_file *file, const cat_model *model,
                                int32_t first, int32_t tcount,
                                int32_t columns) {
  cat_strbuf sb = {0};
  if (tcount == 1) {
    cat_sb_printf(&sb, "%s: target index %d is out of range: ", file->path,
                  (int)first);
  } else {
    cat_sb_printf(&sb, "%s: the target ", file->path);
    describe_target(&sb, model);
    if (first >= 0)
      cat_sb_printf(&sb, " takes %d columns from index %d, but ", (int)tcount,
                    (int)first);
    else
      cat_sb_printf(&sb, " takes %d columns, but ", (int)tcount);
  }
  describe_columns(&sb, columns);
  if (tcount > 1 && loss_text(model))
    cat_sb_printf(&sb, " (the loss '%s' compares the model's output with a "
                  "target of the same object; class labels in one column "
                  "need cross_entropy)", loss_text(model));
  cat_error("%s", sb.data);
  cat_sb_free(&sb);
}

static int detect_header(const csv_file *file, const cat_train_config *config,
                         const column_plan *plan) {
  /* Columns chosen by name: the first row names them. (A target named but
   * not found is absent only in a features-only file for predict, whose
   * first row may be data like any other.) */
  if ((config->target_name && plan->target_count > 0) ||
      (config->num_features > 0 && config->feature_names))
    return 1;
  const csv_row *first = &file->rows[0];
  double value;
  for (int32_t i = 0; i < first->count; ++i)
    if (!in_target(plan, i) && parse_number(first->fields[i], &value) < 0)
      return 1;
  return 0;
}

/* Whether any field of the first row is not a number. */
static int first_row_is_header(const csv_row *first) {
  double value;
  for (int32_t i = 0; i < first->count; ++i)
    if (parse_number(first->fields[i], &value) < 0)
      return 1;
  return 0;
}

/* The target's columns: `tcount` consecutive ones from the named column or
 * index, by default the last ones. `target = features` is resolved with
 * the features. */
static int resolve_target(const csv_file *file, const cat_model *model,
                          const cat_train_config *config, int32_t tcount,
                          cat_target_policy policy, column_plan *plan) {
  int32_t first;
  if (config->target_name) {
    first = find_column(&file->rows[0], config->target_name);
    if (first < 0 && policy == CAT_TARGETS_OPTIONAL)
      return 0;
    if (first < 0 && !first_row_is_header(&file->rows[0])) {
      cat_error("%s: the target column is named '%s', but the file has no "
                "header row", file->path, config->target_name);
      return -1;
    }
    if (first < 0) {
      report_unknown_column(file, config->target_name, "target");
      return -1;
    }
  } else if (config->target_index >= 0) {
    first = config->target_index;
  } else {
    first = plan->columns - tcount;
  }
  if (first < 0 || first + (int64_t)tcount > plan->columns) {
    report_target_range(file, model, config->target_index >= 0 ||
                        config->target_name ? first : -1, tcount,
                        plan->columns);
    return -1;
  }
  plan->target_count = tcount;
  plan->targets = cat_xcalloc((size_t)tcount, sizeof(int32_t));
  for (int32_t i = 0; i < tcount; ++i)
    plan->targets[i] = first + i;
  return 0;
}

static int resolve_listed_features(const csv_file *file,
                                   const cat_train_config *config,
                                   column_plan *plan) {
  plan->feature_count = config->num_features;
  plan->features = cat_xcalloc((size_t)config->num_features, sizeof(int32_t));
  for (int32_t i = 0; i < config->num_features; ++i) {
    int32_t column = -1;
    if (config->feature_names) {
      column = find_column(&file->rows[0], config->feature_names[i]);
      if (column < 0) {
        report_unknown_column(file, config->feature_names[i], "feature");
        return -1;
      }
    } else if (config->feature_indices) {
      column = config->feature_indices[i];
      if (column < 0 || column >= plan->columns) {
        cat_strbuf sb = {0};
        describe_columns(&sb, plan->columns);
        cat_error("%s: feature index %d is out of range: %s", file->path,
                  (int)column, sb.data);
        cat_sb_free(&sb);
        return -1;
      }
    }
    plan->features[i] = column;
  }
  return 0;
}

static void resolve_default_features(column_plan *plan) {
  plan->features = cat_xcalloc((size_t)plan->columns, sizeof(int32_t));
  for (int32_t i = 0; i < plan->columns; ++i)
    if (!in_target(plan, i))
      plan->features[plan->feature_count++] = i;
}

/* A column that is both a feature and the target trains the model to copy
 * its input: almost always a target left to its default. */
static int check_overlap(const csv_file *file, const cat_train_config *config,
                         const column_plan *plan) {
  for (int32_t i = 0; i < plan->feature_count; ++i) {
    int32_t column = plan->features[i];
    if (!in_target(plan, column))
      continue;
    cat_strbuf sb = {0};
    cat_sb_printf(&sb, "%s: column index %d", file->path, (int)column);
    if (plan->has_header)
      cat_sb_printf(&sb, " ('%s')", file->rows[0].fields[column]);
    cat_sb_printf(&sb, " is both a feature and the target");
    if (!config->target_name && config->target_index < 0)
      cat_sb_printf(&sb, " (with no 'target', the target is the last %d "
                    "column%s)", (int)plan->target_count,
                    plan->target_count == 1 ? "" : "s");
    cat_error("%s; name the target column with csv(..., target = \"name\"), "
              "or write 'target = features' for an autoencoder", sb.data);
    cat_sb_free(&sb);
    return -1;
  }
  return 0;
}

static int plan_columns(const cat_model *model, const csv_file *file,
                        const cat_train_config *config,
                        cat_target_policy policy, column_plan *plan) {
  int64_t input_size = cat_factors_size(model->inputs, model->num_inputs);
  int32_t tcount = (int32_t)cat_factors_size(model->targets, model->num_targets);
  int features_as_target = config->target_index == CAT_TARGET_FEATURES;
  memset(plan, 0, sizeof *plan);
  plan->columns = file->rows[0].count;
  int listed = config->num_features > 0 &&
               (config->feature_names || config->feature_indices);
  if (policy == CAT_TARGETS_OPTIONAL && !config->target_name && !listed &&
      plan->columns == input_size)
    tcount = 0;  /* a file of features only */
  if (tcount > 0 && !features_as_target &&
      resolve_target(file, model, config, tcount, policy, plan) != 0)
    return -1;
  plan->has_header = detect_header(file, config, plan);
  if (!listed)
    resolve_default_features(plan);
  else if (resolve_listed_features(file, config, plan) != 0)
    return -1;
  if (plan->feature_count != input_size) {
    cat_error("%s: line %lld: found %d feature columns, but the input of '%s' "
              "has %lld elements", file->path, (long long)file->rows[0].line,
              (int)plan->feature_count, model->morphism,
              (long long)input_size);
    return -1;
  }
  if (tcount > 0 && features_as_target) {
    /* The compiler checked that the target has the input's size. */
    plan->target_count = plan->feature_count;
    plan->targets = cat_xcalloc((size_t)plan->feature_count, sizeof(int32_t));
    memcpy(plan->targets, plan->features,
           (size_t)plan->feature_count * sizeof(int32_t));
    return 0;
  }
  return check_overlap(file, config, plan);
}

/*--- converting fields ---------------------------------------------------*/

typedef struct field_ref {
  const csv_file *file;
  const column_plan *plan;
  const csv_row *row;
  int32_t column;
} field_ref;

static void field_where(const field_ref *ref, cat_strbuf *sb) {
  cat_sb_printf(sb, "%s: line %lld, column %d", ref->file->path,
                (long long)ref->row->line, (int)ref->column + 1);
  if (ref->plan->has_header)
    cat_sb_printf(sb, " ('%s')", ref->file->rows[0].fields[ref->column]);
}

static void field_error(const field_ref *ref, const char *problem) {
  cat_strbuf where = {0};
  field_where(ref, &where);
  cat_error("%s: '%s' %s", where.data, ref->row->fields[ref->column], problem);
  cat_sb_free(&where);
}

static int read_real(const field_ref *ref, float *out) {
  double value;
  int status = parse_number(ref->row->fields[ref->column], &value);
  if (status != 0 || !isfinite((float)value)) {
    field_error(ref, status < 0 ? "is not a number" : "is not a finite number");
    return -1;
  }
  *out = (float)value;
  return 0;
}

/* An integer label in [0, classes). */
static int read_index(const field_ref *ref, int32_t classes, int32_t *out) {
  double value;
  if (parse_number(ref->row->fields[ref->column], &value) != 0 ||
      value != floor(value) || value < 0 || value >= classes) {
    char problem[96];
    snprintf(problem, sizeof problem, "is not an integer in [0, %d)",
             (int)classes);
    field_error(ref, problem);
    return -1;
  }
  *out = (int32_t)value;
  return 0;
}

static int read_element(const field_ref *ref, const cat_factor *factor,
                        void *data, int64_t at) {
  if (factor->kind == CAT_FIN)
    return read_index(ref, factor->classes, (int32_t *)data + at);
  return read_real(ref, (float *)data + at);
}

static void **alloc_factors(const cat_factor *factors, int32_t count,
                            int64_t examples) {
  void **arrays = cat_xcalloc((size_t)count ? (size_t)count : 1, sizeof *arrays);
  for (int32_t i = 0; i < count; ++i)
    arrays[i] = cat_xcalloc((size_t)(examples * factors[i].size), 4);
  return arrays;
}

static int read_inputs(const cat_model *model, const field_ref *base,
                       int64_t example, cat_dataset *out) {
  field_ref ref = *base;
  int32_t next = 0;
  for (int32_t f = 0; f < model->num_inputs; ++f) {
    const cat_factor *factor = &model->inputs[f];
    for (int64_t e = 0; e < factor->size; ++e) {
      ref.column = base->plan->features[next++];
      if (read_element(&ref, factor, out->inputs[f],
                       example * factor->size + e) != 0)
        return -1;
    }
  }
  return 0;
}

/* Whether every field of the Fin target columns is an integer label in
 * [0, classes) (the real columns of a product target do not count). */
static int targets_are_labels(const cat_model *model, const csv_file *file,
                              const column_plan *plan, int32_t classes) {
  double value;
  for (int64_t r = plan->has_header; r < file->count; ++r) {
    int32_t next = 0;
    for (int32_t f = 0; f < model->num_targets; ++f)
      for (int64_t e = 0; e < model->targets[f].size; ++e, ++next) {
        if (model->targets[f].kind != CAT_FIN)
          continue;
        const char *text = file->rows[r].fields[plan->targets[next]];
        if (parse_number(text, &value) != 0 || value != floor(value) ||
            value < 0 || value >= classes)
          return 0;
      }
  }
  return 1;
}

static void name_integer_classes(cat_classes *classes, int32_t count) {
  char name[16];
  for (int32_t i = 0; i < count; ++i) {
    snprintf(name, sizeof name, "%d", (int)i);
    cat_classes_add(classes, name);
  }
}

/* `bce` reads its target as a probability; outside [0, 1] its loss goes
 * negative and training silently optimises nonsense. */
static int probability_ok(const field_ref *ref, const cat_model *model,
                          float value) {
  if (cat_model_loss_kind(model) != CAT_LOSS_BINARY ||
      (value >= 0.0f && value <= 1.0f))
    return 1;
  char problem[160];
  snprintf(problem, sizeof problem, "is not in [0, 1]: the loss '%s' takes "
           "a probability or a 0/1 label as its target",
           loss_text(model) ? loss_text(model) : "bce");
  field_error(ref, problem);
  return 0;
}

static int read_class(const field_ref *ref, const cat_model *model,
                      int32_t limit, int learning, cat_classes *classes,
                      int32_t *out) {
  const char *name = ref->row->fields[ref->column];
  int32_t label = cat_classes_find(classes, name);
  if (label < 0 && learning && classes->count < limit)
    label = cat_classes_add(classes, name);
  if (label >= 0) {
    *out = label;
    return 0;
  }
  cat_strbuf where = {0}, known = {0};
  field_where(ref, &where);
  for (int32_t i = 0; i < classes->count; ++i)
    cat_sb_printf(&known, "%s'%s'", i ? ", " : "", classes->names[i]);
  double number;
  if (learning && parse_number(name, &number) == 0 && loss_text(model))
    cat_error("%s: class '%s' is one too many: the loss '%s' takes class "
              "labels, and its target Fin[%d] has %d classes (%s); a "
              "real-valued target needs a regression loss such as mse",
              where.data, name, loss_text(model), (int)limit, (int)limit,
              known.data);
  else if (learning)
    cat_error("%s: class '%s' is one too many: the target Fin[%d] has %d "
              "classes (%s)", where.data, name, (int)limit, (int)limit,
              known.data);
  else
    cat_error("%s: unknown class '%s' (the weights know %s)", where.data, name,
              known.data ? known.data : "no classes");
  cat_sb_free(&where);
  cat_sb_free(&known);
  return -1;
}

static int read_targets(const cat_model *model, const field_ref *base,
                        int64_t example, int learning, cat_classes *classes,
                        cat_dataset *out) {
  field_ref ref = *base;
  int32_t next = 0;
  for (int32_t f = 0; f < model->num_targets; ++f) {
    const cat_factor *factor = &model->targets[f];
    for (int64_t e = 0; e < factor->size; ++e) {
      ref.column = base->plan->targets[next++];
      int64_t at = example * factor->size + e;
      int status = factor->kind == CAT_FIN
                       ? read_class(&ref, model, factor->classes, learning,
                                    classes, (int32_t *)out->targets[f] + at)
                       : read_real(&ref, (float *)out->targets[f] + at);
      if (status != 0)
        return -1;
      if (factor->kind == CAT_REAL && !probability_ok(&ref, model,
                                   ((float *)out->targets[f])[at]))
        return -1;
    }
  }
  return 0;
}

static int check_ragged(const csv_file *file, const column_plan *plan) {
  for (int64_t r = 0; r < file->count; ++r)
    if (file->rows[r].count != plan->columns) {
      cat_error("%s: line %lld: expected %d fields, found %d", file->path,
                (long long)file->rows[r].line, (int)plan->columns,
                (int)file->rows[r].count);
      return -1;
    }
  return 0;
}

static int fin_target_classes(const cat_model *model) {
  for (int32_t f = 0; f < model->num_targets; ++f)
    if (model->targets[f].kind == CAT_FIN)
      return model->targets[f].classes;
  return 0;
}

static int convert_rows(const cat_model *model, const csv_file *file,
                        const column_plan *plan, cat_classes *classes,
                        cat_dataset *out) {
  int32_t k = fin_target_classes(model);
  int learning = classes->count == 0;
  if (learning && k > 0 && plan->target_count > 0 &&
      targets_are_labels(model, file, plan, k)) {
    name_integer_classes(classes, k);
    learning = 0;
  }
  field_ref ref = {file, plan, NULL, 0};
  for (int64_t r = plan->has_header; r < file->count; ++r) {
    ref.row = &file->rows[r];
    int64_t example = r - plan->has_header;
    if (read_inputs(model, &ref, example, out) != 0)
      return -1;
    if (out->num_targets > 0 &&
        read_targets(model, &ref, example, learning, classes, out) != 0)
      return -1;
  }
  return 0;
}

int cat_load_csv(const cat_model *model, const cat_train_config *config,
                 const char *path, cat_target_policy policy,
                 cat_classes *classes, cat_dataset *out) {
  csv_file file;
  column_plan plan;
  memset(out, 0, sizeof *out);
  if (read_rows(path, &file) != 0)
    return -1;
  int status = plan_columns(model, &file, config, policy, &plan);
  if (status == 0)
    status = check_ragged(&file, &plan);
  if (status == 0 && file.count - plan.has_header == 0) {
    cat_error("%s: the data file has a header but no examples", path);
    status = -1;
  }
  if (status == 0) {
    out->count = file.count - plan.has_header;
    out->num_inputs = model->num_inputs;
    out->num_targets = plan.target_count > 0 ? model->num_targets : 0;
    out->inputs = alloc_factors(model->inputs, model->num_inputs, out->count);
    out->targets = alloc_factors(model->targets, out->num_targets, out->count);
    status = convert_rows(model, &file, &plan, classes, out);
  }
  free(plan.features);
  free(plan.targets);
  free_rows(&file);
  if (status != 0)
    cat_dataset_free(out);
  return status;
}

void cat_dataset_free(cat_dataset *data) {
  for (int32_t i = 0; data->inputs && i < data->num_inputs; ++i)
    free(data->inputs[i]);
  for (int32_t i = 0; data->targets && i < data->num_targets; ++i)
    free(data->targets[i]);
  free(data->inputs);
  free(data->targets);
  memset(data, 0, sizeof *data);
}

int cat_load_data(const cat_model *model, const cat_train_config *config,
                  const char *path, cat_target_policy policy,
                  cat_classes *classes, cat_dataset *out) {
  if (config->data_kind == CAT_DATA_TEXT || config->data_kind == CAT_DATA_TOKENS)
    return cat_load_text(model, config, path, out);
  return cat_load_csv(model, config, path, policy, classes, out);
}

char *cat_data_path(const cat_train_config *config, const char *override) {
  if (override)
    return cat_xstrdup(override);
  if (!config || config->data_kind == CAT_DATA_NONE || !config->data_path) {
    cat_error("no data set: the model has no train block with data; pass "
              "--data FILE");
    return NULL;
  }
  return cat_path_join(config->source_dir, config->data_path);
}
