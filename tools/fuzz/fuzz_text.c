/*===- fuzz_text.c - libFuzzer target: the text and token readers ---------===*
 *
 * Arbitrary bytes as the file of text(...) (bytes as tokens) or tokens(...)
 * (words through a vocabulary), the first byte choosing which and the
 * context length (1 to 8), for a model Fin[V]^T -> R[T, V] with next-token
 * targets Fin[V]^T.
 *
 *===----------------------------------------------------------------------===*/
#include "fuzz_runtime.h"

static const char *const vocab[] = {"<pad>", "I", "love", "Rust", "."};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  unsigned choice = data[0];
  cat_train_config config = {0};
  config.data_kind = choice & 1 ? CAT_DATA_TOKENS : CAT_DATA_TEXT;
  config.context = 1 + (choice >> 1) % 8;
  config.vocab_size = 5;
  config.vocab = vocab;
  int32_t classes = config.data_kind == CAT_DATA_TEXT ? 256 : 5;
  int64_t shape[] = {config.context};
  cat_factor window = {CAT_FIN, classes, config.context, 1, shape};
  cat_model model = fuzz_model("lm", &window, &window, &config);
  cat_dataset out;
  if (cat_load_text(&model, &config, fuzz_file(data + 1, size - 1), &out) == 0)
    cat_dataset_free(&out);
  return 0;
}
