/*===- fuzz_safetensors.c - libFuzzer target: the checkpoint reader -------===*
 *
 * Arbitrary bytes as a checkpoint of a model with two parameter tensors
 * (weight [3, 4], bias [3]) and 16 floats of optimizer state: the
 * safetensors header (its length, the JSON, the offsets), the metadata and
 * the tensors are all checked before anything is used. With
 * CATC_FUZZ_SEED_DIR set, it first writes seed checkpoints there through the
 * runtime's own writer (scripts/fuzz.sh does).
 *
 *===----------------------------------------------------------------------===*/
#include "fuzz_runtime.h"

static const int64_t weight_shape[] = {3, 4};
static const int64_t bias_shape[] = {3};
static const cat_param_info params[] = {
    {"model.linear0.weight", 0, 12, 2, weight_shape},
    {"model.bias1.bias", 12, 3, 1, bias_shape},
};

static cat_model stand_in(void) {
  cat_model model = {0};
  model.module = "fuzz";
  model.morphism = "model";
  model.param_count = 15;
  model.num_params = 2;
  model.params = params;
  model.opt_state_count = 16;
  model.layout_hash = 0x0123456789abcdefull;
  return model;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *dir = getenv("CATC_FUZZ_SEED_DIR");
  if (!dir)
    return 0;
  cat_model model = stand_in();
  float values[15], opt_state[16];
  for (int i = 0; i < 15; ++i)
    values[i] = (float)i / 8.0f - 1.0f;
  for (int i = 0; i < 16; ++i)
    opt_state[i] = (float)i;
  cat_classes classes = {0};
  cat_classes_add(&classes, "setosa");
  cat_classes_add(&classes, "versicolor");
  cat_train_state state = {0};
  state.epoch = 3, state.batch = 1, state.seed = 7, state.optimizer = CAT_OPT_ADAM;
  state.opt_count = 16, state.opt_state = opt_state;
  cat_rng_seed(&state.rng, 7);
  char *plain = cat_path_join(dir, "weights.safetensors");
  char *full = cat_path_join(dir, "checkpoint.safetensors");
  if (cat_checkpoint_save(&model, values, NULL, NULL, plain) != 0 ||
      cat_checkpoint_save(&model, values, &classes, &state, full) != 0)
    abort();
  free(plain);
  free(full);
  cat_classes_free(&classes);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cat_model model = stand_in();
  float values[15];
  cat_classes classes = {0};
  cat_train_state state;
  if (cat_checkpoint_load(&model, fuzz_file(data, size), values, &classes, &state) == 0)
    free(state.opt_state);
  cat_classes_free(&classes);
  return 0;
}
