/*===- quantize.c - The `quantize` command: float weights to int8 --------===*
 *
 * `model quantize --weights W --out Wq [--data F] [--examples N]` writes
 * the int8 form of trained weights by the scheme of Jacob et al. 2018
 * ("Quantization and Training of Neural Networks for Efficient
 * Integer-Arithmetic-Only Inference"), as gemmlowp and TensorFlow Lite use
 * it: real = scale * (q - zero).
 *
 * - Each dense layer's weights [out, in]: int8, symmetric per output
 *   channel (zero point 0): scale_w[j] = max_l |W[j][l]| / 127.
 * - Its input and output: int8, asymmetric per tensor, over the range the
 *   layer saw on calibration data (the generated calibrate function runs
 *   the float model and records it), widened to hold 0.
 * - Its bias: int32 at scale scale_x * scale_w[j].
 * - The requantization of output channel j: the real multiplier
 *   scale_x * scale_w[j] / scale_y as a 32-bit fixed-point multiplier and
 *   a power-of-two shift, so that the integer path needs no float.
 *
 * Every other parameter stays float. The file is safetensors (I8, I32 and
 * F32 tensors), written atomically, with metadata naming the scheme and the
 * float weights' layout hash (docs/quantization.md lists its tensors).
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows per calibrate call. */
enum { CALIBRATION_CHUNK = 256 };

/* One tensor of the output file. */
typedef struct qtensor {
  char *name;
  const char *dtype;   /* "F32", "I32" or "I8" */
  int32_t rank;
  int64_t *shape;      /* owned */
  void *data;          /* little-endian once written; owned */
  int64_t bytes;
} qtensor;

typedef struct qfile {
  qtensor *tensors;
  int32_t count, capacity;
  cat_strbuf header;
} qfile;

static qtensor *add_tensor(qfile *f, const char *name, const char *suffix,
                           const char *dtype, int32_t rank,
                           const int64_t *shape) {
  if (f->count == f->capacity) {
    f->capacity = f->capacity ? 2 * f->capacity : 16;
    qtensor *grown = cat_xcalloc((size_t)f->capacity, sizeof *grown);
    if (f->count)
      memcpy(grown, f->tensors, (size_t)f->count * sizeof *grown);
    free(f->tensors);
    f->tensors = grown;
  }
  qtensor *t = &f->tensors[f->count++];
  cat_strbuf sb = {0};
  cat_sb_printf(&sb, "%s%s", name, suffix);
  t->name = sb.data;
  t->dtype = dtype;
  t->rank = rank;
  t->shape = cat_xcalloc((size_t)(rank ? rank : 1), sizeof(int64_t));
  int64_t elements = 1;
  for (int32_t i = 0; i < rank; ++i)
    elements *= (t->shape[i] = shape[i]);
  t->bytes = elements * (dtype[1] == '8' ? 1 : 4);
  t->data = cat_xcalloc((size_t)(t->bytes ? t->bytes : 1), 1);
  return t;
}

/* A vector of `count` elements. */
static qtensor *add_vector(qfile *f, const char *name, const char *suffix,
                           const char *dtype, int64_t count) {
  return add_tensor(f, name, suffix, dtype, 1, &count);
}

static void qfile_free(qfile *f) {
  for (int32_t i = 0; i < f->count; ++i) {
    free(f->tensors[i].name);
    free(f->tensors[i].shape);
    free(f->tensors[i].data);
  }
  free(f->tensors);
  cat_sb_free(&f->header);
}

/* round(v), ties away from zero, clamped to [lo, hi] (v finite). */
static int64_t round_clamped(double v, int64_t lo, int64_t hi) {
  double r = round(v);
  return r < (double)lo ? lo : r > (double)hi ? hi : (int64_t)r;
}

/* The int8 scale and zero point of the range [lo, hi] widened to hold 0. */
static void activation_params(float lo, float hi, float *scale,
                              int32_t *zero) {
  lo = lo < 0 ? lo : 0;
  hi = hi > 0 ? hi : 0;
  *scale = hi > lo ? (float)(((double)hi - (double)lo) / 255.0) : 1.0f;
  if (*scale == 0)  /* a range of a few subnormals */
    *scale = 1.0f;
  *zero = (int32_t)round_clamped(-128.0 - (double)lo / (double)*scale, -128, 127);
}

/* real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31): TFLite's
 * QuantizeMultiplier. Multipliers too small for a 31-bit right shift give
 * 0 (every output is the zero point). Returns -1 when real is too large for
 * a 30-bit left shift. */
static int quantize_multiplier(double real, int32_t *multiplier,
                               int32_t *shift) {
  *multiplier = 0;
  *shift = 0;
  if (!(real > 0))
    return 0;
  int exponent;
  double mantissa = frexp(real, &exponent);
  int64_t q = (int64_t)round(mantissa * 2147483648.0);
  if (q == INT64_C(2147483648)) {
    q /= 2;
    ++exponent;
  }
  if (exponent > 30)
    return -1;
  if (exponent < -31)
    return 0;
  *multiplier = (int32_t)q;
  *shift = exponent;
  return 0;
}

static void put_u32(unsigned char *out, uint32_t bits) {
  for (int i = 0; i < 4; ++i)
    out[i] = (unsigned char)(bits >> (8 * i));
}

static void set_f32(qtensor *t, int64_t i, float value) {
  uint32_t bits;
  memcpy(&bits, &value, 4);
  put_u32((unsigned char *)t->data + 4 * i, bits);
}

static void set_i32(qtensor *t, int64_t i, int32_t value) {
  put_u32((unsigned char *)t->data + 4 * i, (uint32_t)value);
}

/* The quantized tensors of dense layer l. Returns -1 after an error. */
static int quantize_layer(const cat_model *model, const cat_quant_layer *layer,
                          const float *params, const float *ranges,
                          qfile *f) {
  const cat_param_info *w = &model->params[layer->weight];
  const cat_param_info *b = layer->bias >= 0 ? &model->params[layer->bias] : NULL;
  int64_t out = layer->out, in = layer->in;
  const float *W = params + w->offset;
  for (int64_t i = 0; i < out * in; ++i)
    if (!isfinite(W[i])) {
      cat_error("cannot quantize '%s': it holds a NaN or an infinity", w->name);
      return -1;
    }
  for (int r = 0; r < 4; ++r)
    if (isinf(ranges[r])) {
      cat_error("cannot quantize '%s': its %s reaches infinity on the "
                "calibration data", w->name, r < 2 ? "input" : "output");
      return -1;
    }
  float in_scale, out_scale;
  int32_t in_zero, out_zero;
  activation_params(ranges[0], ranges[1], &in_scale, &in_zero);
  activation_params(ranges[2], ranges[3], &out_scale, &out_zero);

  qtensor *q = add_tensor(f, w->name, "", "I8", w->rank, w->shape);
  qtensor *scales = add_vector(f, w->name, ".scale", "F32", out);
  qtensor *mult = add_vector(f, w->name, ".multiplier", "I32", out);
  qtensor *shift = add_vector(f, w->name, ".shift", "I32", out);
  qtensor *bias = b ? add_tensor(f, b->name, "", "I32", b->rank, b->shape) : NULL;
  for (int64_t j = 0; j < out; ++j) {
    float largest = 0;
    for (int64_t l = 0; l < in; ++l)
      largest = fabsf(W[j * in + l]) > largest ? fabsf(W[j * in + l]) : largest;
    float scale = largest > 0 ? (float)((double)largest / 127.0) : 1.0f;
    if (scale == 0)
      scale = 1.0f;
    set_f32(scales, j, scale);
    for (int64_t l = 0; l < in; ++l)
      ((int8_t *)q->data)[j * in + l] =
          (int8_t)round_clamped((double)W[j * in + l] / (double)scale, -127, 127);
    double bias_scale = (double)in_scale * (double)scale;
    if (bias) {
      float value = params[b->offset + j];
      if (!isfinite(value)) {
        cat_error("cannot quantize '%s': it holds a NaN or an infinity", b->name);
        return -1;
      }
      set_i32(bias, j, (int32_t)round_clamped((double)value / bias_scale,
                                              INT32_MIN, INT32_MAX));
    }
    int32_t m, s;
    if (quantize_multiplier(bias_scale / (double)out_scale, &m, &s) != 0) {
      cat_error("cannot quantize '%s': output channel %lld needs a rescaling "
                "by more than 2^30", w->name, (long long)j);
      return -1;
    }
    set_i32(mult, j, m);
    set_i32(shift, j, s);
  }
  qtensor *t = add_vector(f, w->name, ".input_range", "F32", 2);
  set_f32(t, 0, ranges[0]);
  set_f32(t, 1, ranges[1]);
  set_f32(add_vector(f, w->name, ".input_scale", "F32", 1), 0, in_scale);
  set_i32(add_vector(f, w->name, ".input_zero", "I32", 1), 0, in_zero);
  t = add_vector(f, w->name, ".output_range", "F32", 2);
  set_f32(t, 0, ranges[2]);
  set_f32(t, 1, ranges[3]);
  set_f32(add_vector(f, w->name, ".output_scale", "F32", 1), 0, out_scale);
  set_i32(add_vector(f, w->name, ".output_zero", "I32", 1), 0, out_zero);
  return 0;
}

static void build_header(qfile *f, const cat_model *model,
                         const cat_classes *classes, const char *weights,
                         const char *data, int64_t examples) {
  cat_strbuf *sb = &f->header;
  char text[64];
  cat_sb_append(sb, "{\"__metadata__\": {\"module\": ");
  cat_sb_json_string(sb, model->module);
  cat_sb_append(sb, ", \"morphism\": ");
  cat_sb_json_string(sb, model->morphism);
  snprintf(text, sizeof text, "%016llx", (unsigned long long)model->layout_hash);
  cat_sb_append(sb, ", \"layout_hash\": ");
  cat_sb_json_string(sb, text);
  cat_sb_append(sb, ", \"quantization\": \"int8 (Jacob et al. 2018): weights "
                    "symmetric per output channel, int32 biases, activations "
                    "asymmetric per tensor\"");
  cat_sb_append(sb, ", \"float_weights\": ");
  cat_sb_json_string(sb, weights);
  cat_strbuf calibration = {0};
  cat_sb_printf(&calibration, "%s, %lld examples", data, (long long)examples);
  cat_sb_append(sb, ", \"calibration\": ");
  cat_sb_json_string(sb, calibration.data);
  cat_sb_free(&calibration);
  if (classes && classes->count > 0) {
    cat_sb_append(sb, ", \"classes\": ");
    cat_strbuf names = {0};
    cat_sb_classes(&names, classes);
    cat_sb_json_string(sb, names.data);
    cat_sb_free(&names);
  }
  cat_sb_append(sb, "}");
  int64_t offset = 0;
  for (int32_t i = 0; i < f->count; ++i) {
    const qtensor *t = &f->tensors[i];
    cat_sb_append(sb, ", ");
    cat_sb_json_string(sb, t->name);
    cat_sb_printf(sb, ": {\"dtype\": \"%s\", \"shape\": ", t->dtype);
    cat_sb_shape(sb, t->rank, t->shape);
    cat_sb_printf(sb, ", \"data_offsets\": [%lld, %lld]}", (long long)offset,
                  (long long)(offset + t->bytes));
    offset += t->bytes;
  }
  cat_sb_append(sb, "}");
  while (sb->len % 8 != 0)
    cat_sb_append(sb, " ");
}

static int write_qfile(FILE *out, void *context) {
  const qfile *f = context;
  unsigned char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = (unsigned char)((uint64_t)f->header.len >> (8 * i));
  if (fwrite(length, 1, 8, out) != 8 ||
      fwrite(f->header.data, 1, f->header.len, out) != f->header.len)
    return -1;
  for (int32_t i = 0; i < f->count; ++i)
    if (f->tensors[i].bytes &&
        fwrite(f->tensors[i].data, 1, (size_t)f->tensors[i].bytes, out) !=
            (size_t)f->tensors[i].bytes)
      return -1;
  return 0;
}

/* Runs calibrate over the first `examples` rows of data. */
static void calibrate(const cat_model *model, const float *params,
                      const cat_dataset *data, int64_t examples,
                      float *ranges) {
  for (int32_t i = 0; i < 2 * model->num_quant_layers; ++i) {
    ranges[2 * i] = INFINITY;
    ranges[2 * i + 1] = -INFINITY;
  }
  size_t chunk = examples < CALIBRATION_CHUNK ? (size_t)examples : CALIBRATION_CHUNK;
  cat_runner runner;
  cat_runner_init(&runner, model, chunk);
  int64_t *index = cat_identity_index(examples);
  for (int64_t start = 0; start < examples; start += (int64_t)chunk) {
    size_t n = (size_t)(examples - start) < chunk ? (size_t)(examples - start) : chunk;
    cat_runner_gather(&runner, data, index + start, n);
    model->calibrate(params, runner.inputs, runner.outputs, ranges, n,
                     runner.workspace);
  }
  free(index);
  cat_runner_free(&runner);
}

/* Whether a layer's weight or bias is another layer's too (a shared
 * instance used twice): one int8 tensor could not serve both ranges. */
static const char *shared_tensor(const cat_model *model) {
  for (int32_t a = 0; a < model->num_quant_layers; ++a)
    for (int32_t b = 0; b < a; ++b) {
      const cat_quant_layer *x = &model->quant_layers[a], *y = &model->quant_layers[b];
      if (x->weight == y->weight || x->weight == y->bias)
        return model->params[x->weight].name;
      if (x->bias >= 0 && (x->bias == y->bias || x->bias == y->weight))
        return model->params[x->bias].name;
    }
  return NULL;
}

int cat_cmd_quantize(const cat_model *model, const cat_options *opts) {
  if (model->quant_magic != CAT_QUANT_MAGIC || model->num_quant_layers == 0) {
    cat_error("'%s' has no dense layer to quantize (quantize converts the "
              "weights of `linear`)", model->morphism);
    return CAT_EXIT_ERROR;
  }
  const char *shared = shared_tensor(model);
  if (shared) {
    cat_error("cannot quantize '%s': more than one dense layer uses it", shared);
    return CAT_EXIT_ERROR;
  }
  if (opts->weights && !strcmp(opts->weights, opts->out)) {
    cat_error("%s: --out would overwrite the float weights it quantizes",
              opts->out);
    return CAT_EXIT_ERROR;
  }
  cat_train_config config;
  cat_classes classes = {0};
  cat_dataset data = {0};
  cat_effective_config(model, opts, &config);
  float *params = cat_xaligned((size_t)model->param_count * sizeof(float));
  int status = cat_load_weights(model, opts->weights, params, &classes);
  char *path = status == 0 ? cat_data_path(&config, opts->data) : NULL;
  if (!path)
    status = -1;
  if (status == 0)
    status = cat_load_data(model, &config, path, CAT_TARGETS_OPTIONAL,
                           &classes, &data);
  if (status == 0 && data.count == 0) {
    cat_error("%s: no examples to calibrate on", path);
    status = -1;
  }
  qfile f = {0};
  if (status == 0) {
    int64_t examples = opts->has_examples && opts->examples < data.count
                           ? opts->examples : data.count;
    float *ranges = cat_xcalloc((size_t)(4 * model->num_quant_layers), sizeof(float));
    calibrate(model, params, &data, examples, ranges);
    char *is_quantized = cat_xcalloc((size_t)model->num_params, 1);
    for (int32_t l = 0; l < model->num_quant_layers && status == 0; ++l) {
      const cat_quant_layer *layer = &model->quant_layers[l];
      is_quantized[layer->weight] = 1;
      if (layer->bias >= 0)
        is_quantized[layer->bias] = 1;
      status = quantize_layer(model, layer, params, ranges + 4 * l, &f);
    }
    for (int32_t i = 0; i < model->num_params && status == 0; ++i) {
      const cat_param_info *p = &model->params[i];
      if (is_quantized[i])
        continue;
      qtensor *t = add_tensor(&f, p->name, "", "F32", p->rank, p->shape);
      for (int64_t j = 0; j < p->size; ++j)
        set_f32(t, j, params[p->offset + j]);
    }
    /* The data file as the user named it (flag or train block), not the
     * path resolved against the model's directory: the bytes do not
     * depend on where the model was built. */
    const char *named = opts->data ? opts->data : config.data_path;
    if (status == 0) {
      build_header(&f, model, &classes, opts->weights ? opts->weights : model->weights_file,
                   named, examples);
      status = cat_write_atomically(opts->out, "quantized weights", write_qfile, &f);
    }
    if (status == 0)
      printf("quantized %d dense layer%s on %lld examples of %s: wrote %s\n",
             model->num_quant_layers, model->num_quant_layers == 1 ? "" : "s",
             (long long)examples, named, opts->out);
    free(is_quantized);
    free(ranges);
  }
  qfile_free(&f);
  cat_dataset_free(&data);
  cat_classes_free(&classes);
  free(path);
  free(params);
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}
