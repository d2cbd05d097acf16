/*===- fuzz_csv.c - libFuzzer target: the CSV reader -----------------------===*
 *
 * Arbitrary bytes as the data file of a model R[4] -> R[3] trained with
 * cross_entropy (a Fin[3] target), the first byte choosing how the train
 * block names the target and features and whether targets are required.
 *
 *===----------------------------------------------------------------------===*/
#include "fuzz_runtime.h"

static const int64_t four[] = {4};
static const cat_factor features = {CAT_REAL, 0, 4, 1, four};
static const cat_factor label = {CAT_FIN, 3, 1, 0, NULL};
static const char *const feature_names[] = {"a", "b", "c", "d"};
static const int32_t feature_indices[] = {0, 1, 2, 3};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  unsigned choice = data[0];
  cat_train_config config = {0};
  config.data_kind = CAT_DATA_CSV;
  config.target_index = -1;
  switch (choice % 4) {
  case 1: config.target_name = "species"; break;
  case 2: config.target_index = 0; break;
  case 3:
    config.target_name = "species";
    config.num_features = 4;
    if (choice & 4)
      config.feature_names = feature_names;
    else
      config.feature_indices = feature_indices;
    break;
  default: break;
  }
  cat_model model = fuzz_model("model", &features, &label, &config);
  cat_classes classes = {0};
  if (choice & 8) /* the class names of a checkpoint */
    for (int i = 0; i < 3; ++i)
      cat_classes_add(&classes, (const char *[]){"setosa", "versicolor", "virginica"}[i]);
  cat_dataset out;
  const char *path = fuzz_file(data + 1, size - 1);
  if (cat_load_csv(&model, &config, path, choice & 16 ? CAT_TARGETS_OPTIONAL : CAT_TARGETS_REQUIRED,
                   &classes, &out) == 0)
    cat_dataset_free(&out);
  cat_classes_free(&classes);
  return 0;
}
