/*===- optimizer.c - The runtime's own SGD and Adam, for --lr overrides --===*
 *
 * Generated train_step functions bake the train block's learning rate into
 * the code, and their signature has no way to pass another one. When the
 * command line overrides the learning rate, the runtime therefore performs
 * the step itself: the model's loss_grad gives the gradient and this file
 * applies the configured optimizer with PyTorch's semantics (AD.md) and
 * the kernel library's rounding (compiler/CodeGen/kernels/catk.c), so the
 * two paths give the same bits at the same learning rate.
 *
 * State layout: [step count, first moment or velocity..., second moment...].
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <math.h>
#include <string.h>

size_t cat_optimizer_state_count(const cat_model *model,
                                 const cat_train_config *config) {
  size_t per_param = config->optimizer == CAT_OPT_ADAM ? 2 : 1;
  return 1 + per_param * (size_t)model->param_count;
}

/* torch.optim.SGD: the first step copies the gradient into the velocity,
 * later ones scale it by the momentum and add the gradient. */
static void sgd_update(const cat_train_config *config, float *params,
                       float *velocity, const float *grad, int64_t count,
                       int first) {
  float momentum = config->momentum, neg_lr = -config->lr;
  for (int64_t i = 0; i < count; ++i) {
    velocity[i] = first ? grad[i] : velocity[i] * momentum + grad[i];
    params[i] = params[i] + neg_lr * velocity[i];
  }
}

/* beta^t by repeated squaring in double, as the kernel library computes
 * Python's `beta ** step` (pow() could round differently). */
static double power(double base, int64_t exponent) {
  double result = 1.0;
  while (exponent > 0) {
    if (exponent & 1)
      result *= base;
    base *= base;
    exponent >>= 1;
  }
  return result;
}

/* The kernel library's double square root: sqrtf refined by one Newton
 * step. Using libm's sqrt instead changes the last bit now and then. */
static double kernel_sqrt(double x) {
  double s = (double)sqrtf((float)x);
  return s > 0.0 ? 0.5 * (s + x / s) : s;
}

/* A float hyperparameter in (0, 1) as the short decimal the user wrote
 * (0.999f -> 0.999), so that 1 - beta2 is PyTorch's, as in the kernels. */
static double short_decimal(float x) {
  if (!(x > 0.0f && x < 1.0f))
    return (double)x;
  double scale = 1e7;
  for (int digits = 0; digits < 40 && (double)x * scale < 1e6; ++digits)
    scale *= 10.0;
  return (double)(int64_t)((double)x * scale + 0.5) / scale;
}

/* torch.optim.Adam's single-tensor step with the generated train_step's
 * rounding: scalars in double rounded to float where PyTorch rounds them,
 * tensor operations in float in PyTorch's order. Bit-identical to the
 * compiled step is what lets `--lr X` equal a model compiled with lr = X. */
static void adam_update(const cat_train_config *config, float *params,
                        float *m, float *v, const float *grad, int64_t count,
                        int64_t step) {
  float beta1 = config->beta1, beta2 = config->beta2, eps = config->eps;
  double beta1_decimal = short_decimal(beta1);
  double beta2_decimal = short_decimal(beta2);
  double correction1 = 1.0 - power(beta1_decimal, step);
  double correction2 = 1.0 - power(beta2_decimal, step);
  float neg_step_size = (float)(-(short_decimal(config->lr) / correction1));
  float correction2_sqrt = (float)kernel_sqrt(correction2);
  float one_minus_beta1 = (float)(1.0 - beta1_decimal);
  float one_minus_beta2 = (float)(1.0 - beta2_decimal);
  for (int64_t i = 0; i < count; ++i) {
    m[i] = m[i] * beta1 + one_minus_beta1 * grad[i];
    v[i] = v[i] * beta2 + one_minus_beta2 * grad[i] * grad[i];
    float denom = sqrtf(v[i]) / correction2_sqrt + eps;
    params[i] = params[i] + neg_step_size * m[i] / denom;
  }
}

float cat_optimizer_step(const cat_model *model, const cat_train_config *config,
                         float *params, float *state, float *grad,
                         cat_runner *runner, size_t n, int outputs) {
  int64_t count = model->param_count;
  memset(grad, 0, (size_t)count * sizeof *grad);
  float loss;
  if (outputs && cat_model_has_output_steps(model) && model->loss_grad_outputs) {
    loss = model->loss_grad_outputs(params, runner->inputs, runner->targets,
                                    runner->outputs, grad, n,
                                    runner->workspace);
  } else {
    /* A descriptor without loss_grad_outputs: one forward pass more. */
    if (outputs)
      model->forward(params, runner->inputs, runner->outputs, n,
                     runner->workspace);
    loss = model->loss_grad(params, runner->inputs, runner->targets, grad, n,
                            runner->workspace);
  }
  state[0] += 1;  /* the step count, from 1 */
  if (config->optimizer == CAT_OPT_ADAM)
    adam_update(config, params, state + 1, state + 1 + count, grad, count,
                (int64_t)state[0]);
  else
    sgd_update(config, params, state + 1, grad, count, state[0] == 1);
  return loss;
}
