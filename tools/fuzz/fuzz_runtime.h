/*===- fuzz_runtime.h - What the runtime's fuzz targets share -----------===*
 *
 * The runtime's readers take paths, so each input is written to one
 * temporary file first; the model descriptors are small stand-ins with the
 * shapes the readers check against.
 *
 *===----------------------------------------------------------------------===*/
#ifndef CATC_TOOLS_FUZZ_FUZZ_RUNTIME_H
#define CATC_TOOLS_FUZZ_FUZZ_RUNTIME_H

#include "catrt_internal.h"

#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The input as the contents of this process's temporary file; its path.
 * The file lives in memory (memfd_create, opened through /proc/self/fd):
 * a file system under load stalled ftruncate past libFuzzer's 1 s timeout,
 * a false finding. Falls back to a file in /tmp. */
static const char *fuzz_file(const uint8_t *data, size_t size) {
  static char path[64];
  static FILE *file;
  if (!file) {
    int fd = memfd_create("catc-fuzz-input", 0);
    if (fd >= 0) {
      snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
      file = fdopen(fd, "w+b");
    } else {
      snprintf(path, sizeof path, "/tmp/catc-fuzz-%ld", (long)getpid());
      file = fopen(path, "w+b");
    }
    if (!file) {
      perror(path);
      abort();
    }
  }
  if (fseek(file, 0, SEEK_SET) != 0 || ftruncate(fileno(file), 0) != 0 ||
      (size && fwrite(data, 1, size, file) != size) || fflush(file) != 0) {
    perror(path);
    abort();
  }
  return path;
}

/* A model of module "fuzz" with one input and one target factor, trained
 * by config: what the data readers check a file against. */
static inline cat_model fuzz_model(const char *morphism, const cat_factor *input,
                                   const cat_factor *target, const cat_train_config *config) {
  cat_model model = {0};
  model.module = "fuzz";
  model.morphism = morphism;
  model.num_inputs = 1, model.inputs = input;
  model.num_targets = 1, model.targets = target;
  model.train = config;
  return model;
}

#endif /* CATC_TOOLS_FUZZ_FUZZ_RUNTIME_H */
