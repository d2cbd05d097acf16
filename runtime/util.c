/*===- util.c - Errors, allocation, growable strings and paths -----------===*
 *
 * Small helpers every other runtime file leans on. Errors go to stderr as
 * "error: ..." lines; allocation failures end the run with status 1 because
 * nothing useful can follow them; cat_strbuf builds headers, messages and
 * JSON without fixed-size buffers.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <stdlib.h>
#include <string.h>

static void report(const char *severity, const char *fmt, va_list args) {
  fflush(stdout);  /* keep stdout and stderr in order on a terminal */
  fprintf(stderr, "%s: ", severity);
  vfprintf(stderr, fmt, args);
  fputc('\n', stderr);
}

void cat_error(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  report("error", fmt, args);
  va_end(args);
}

void cat_warning(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  report("warning", fmt, args);
  va_end(args);
}

static void *out_of_memory(size_t bytes) {
  cat_error("out of memory (allocating %zu bytes)", bytes);
  exit(CAT_EXIT_ERROR);
}

void *cat_xmalloc(size_t bytes) {
  void *ptr = malloc(bytes ? bytes : 1);
  return ptr ? ptr : out_of_memory(bytes);
}

void *cat_xcalloc(size_t count, size_t bytes) {
  void *ptr = calloc(count ? count : 1, bytes ? bytes : 1);
  return ptr ? ptr : out_of_memory(count * bytes);
}

void *cat_xrealloc(void *old, size_t bytes) {
  void *ptr = realloc(old, bytes ? bytes : 1);
  return ptr ? ptr : out_of_memory(bytes);
}

void *cat_grow(void *items, int64_t count, size_t size) {
  if (count & (count - 1))  /* neither 0 nor a power of two: there is room */
    return items;
  return cat_xrealloc(items, (count ? (size_t)count * 2 : 1) * size);
}

char *cat_xstrdup(const char *text) {
  size_t len = strlen(text);
  char *copy = cat_xmalloc(len + 1);
  memcpy(copy, text, len + 1);
  return copy;
}

void *cat_xaligned(size_t bytes) {
  void *ptr = NULL;
  /* 64 bytes: a cache line and the widest vector generated code may use. */
  size_t rounded = (bytes + 63) / 64 * 64;
  if (posix_memalign(&ptr, 64, rounded ? rounded : 64) != 0)
    return out_of_memory(bytes);
  memset(ptr, 0, rounded ? rounded : 64);
  return ptr;
}

static void sb_reserve(cat_strbuf *sb, size_t extra) {
  size_t need = sb->len + extra + 1;
  if (need <= sb->cap)
    return;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < need)
    cap *= 2;
  sb->data = cat_xrealloc(sb->data, cap);
  sb->cap = cap;
}

void cat_sb_append_n(cat_strbuf *sb, const char *text, size_t n) {
  sb_reserve(sb, n);
  memcpy(sb->data + sb->len, text, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

void cat_sb_append(cat_strbuf *sb, const char *text) {
  cat_sb_append_n(sb, text, strlen(text));
}

void cat_sb_printf(cat_strbuf *sb, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(NULL, 0, fmt, args);
  va_end(args);
  if (n < 0)
    return;
  sb_reserve(sb, (size_t)n);
  va_start(args, fmt);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, args);
  va_end(args);
  sb->len += (size_t)n;
}

void cat_sb_json_string(cat_strbuf *sb, const char *text) {
  cat_sb_append(sb, "\"");
  for (const unsigned char *p = (const unsigned char *)text; *p; ++p) {
    if (*p == '"' || *p == '\\') {
      char escaped[3] = {'\\', (char)*p, 0};
      cat_sb_append(sb, escaped);
    } else if (*p < 0x20) {
      cat_sb_printf(sb, "\\u%04x", *p);
    } else {
      cat_sb_append_n(sb, (const char *)p, 1);
    }
  }
  cat_sb_append(sb, "\"");
}

void cat_sb_free(cat_strbuf *sb) {
  free(sb->data);
  sb->data = NULL;
  sb->len = sb->cap = 0;
}

char *cat_path_join(const char *dir, const char *path) {
  if (!dir || !*dir || path[0] == '/')
    return cat_xstrdup(path);
  cat_strbuf sb = {0};
  cat_sb_append(&sb, dir);
  if (dir[strlen(dir) - 1] != '/')
    cat_sb_append(&sb, "/");
  cat_sb_append(&sb, path);
  return sb.data;
}

void cat_sb_shape(cat_strbuf *sb, int32_t rank, const int64_t *shape) {
  cat_sb_append(sb, "[");
  for (int32_t i = 0; i < rank; ++i)
    cat_sb_printf(sb, i ? ", %lld" : "%lld", (long long)shape[i]);
  cat_sb_append(sb, "]");
}
