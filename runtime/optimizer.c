/*===- optimizer.c - The runtime's own SGD and Adam, for --lr overrides --===*
 *
 * Generated train_step functions bake the train block's learning rate into
 * the code, and their signature has no way to pass another one. When the
 * command line overrides the learning rate, the runtime therefore performs
 * the step itself: the model's loss_grad gives the gradient and this file
 * applies the configured optimizer with PyTorch's semantics (AD.md), so the
 * two paths train identically at the same learning rate.
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

static void sgd_update(const cat_train_config *config, float *params,
                       float *velocity, const float *grad, int64_t count,
                       int first) {
  float mu = config->momentum, lr = config->lr;
  for (int64_t i = 0; i < count; ++i) {
    float v = mu == 0 ? grad[i] : first ? grad[i] : mu * velocity[i] + grad[i];
    velocity[i] = v;
    params[i] -= lr * v;
  }
}

static void adam_update(const cat_train_config *config, float *params,
                        float *m, float *v, const float *grad, int64_t count,
                        double step) {
  float b1 = config->beta1, b2 = config->beta2;
  double correct1 = 1 - pow(b1, step), correct2 = 1 - pow(b2, step);
  for (int64_t i = 0; i < count; ++i) {
    m[i] = b1 * m[i] + (1 - b1) * grad[i];
    v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
    double m_hat = m[i] / correct1, v_hat = v[i] / correct2;
    params[i] -= (float)(config->lr * m_hat / (sqrt(v_hat) + config->eps));
  }
}

float cat_optimizer_step(const cat_model *model, const cat_train_config *config,
                         float *params, float *state, float *grad,
                         cat_runner *runner, size_t n) {
  int64_t count = model->param_count;
  memset(grad, 0, (size_t)count * sizeof *grad);
  float loss = model->loss_grad(params, runner->inputs, runner->targets, grad,
                                n, runner->workspace);
  state[0] += 1;  /* the step count, from 1 */
  if (config->optimizer == CAT_OPT_ADAM)
    adam_update(config, params, state + 1, state + 1 + count, grad, count,
                state[0]);
  else
    sgd_update(config, params, state + 1, grad, count, state[0] == 1);
  return loss;
}
