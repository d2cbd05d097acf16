/*===- json.c - A small, defensive JSON reader for checkpoint headers ----===*
 *
 * Safetensors headers are JSON. This reader parses one value into a tree of
 * cat_json nodes; it checks every byte against the end of the buffer, caps
 * nesting depth, and reports the first problem with its byte offset, so a
 * corrupt or hostile checkpoint yields an error message, never a crash.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 64 };

typedef struct parser {
  const char *text;
  size_t len, pos;
  char *err;
  size_t err_size;
  int failed;
} parser;

static void fail(parser *p, const char *what) {
  if (!p->failed)
    snprintf(p->err, p->err_size, "%s at byte %zu", what, p->pos);
  p->failed = 1;
}

static void skip_space(parser *p) {
  while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos]) &&
         p->text[p->pos] != '\0')
    ++p->pos;
}

static int peek(parser *p) {
  return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1;
}

static cat_json *new_node(cat_json_kind kind) {
  cat_json *node = cat_xcalloc(1, sizeof *node);
  node->kind = kind;
  return node;
}

static int hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static long read_hex4(parser *p) {
  long value = 0;
  for (int i = 0; i < 4; ++i) {
    int digit = hex_digit(peek(p));
    if (digit < 0) {
      fail(p, "bad \\u escape");
      return -1;
    }
    value = value * 16 + digit;
    ++p->pos;
  }
  return value;
}

static void append_utf8(cat_strbuf *sb, unsigned long cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) { out[0] = (char)cp; n = 1; }
  else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
  }
  cat_sb_append_n(sb, out, n);
}

/* \uXXXX, with a following low surrogate when XXXX is a high one. */
static void parse_unicode_escape(parser *p, cat_strbuf *sb) {
  long cp = read_hex4(p);
  if (cp < 0)
    return;
  if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 1 < p->len &&
      p->text[p->pos] == '\\' && p->text[p->pos + 1] == 'u') {
    p->pos += 2;
    long low = read_hex4(p);
    if (low < 0xDC00 || low > 0xDFFF) {
      fail(p, "bad surrogate pair");
      return;
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  if (cp == 0) {
    fail(p, "\\u0000 in a string");
    return;
  }
  append_utf8(sb, (unsigned long)cp);
}

static void parse_escape(parser *p, cat_strbuf *sb) {
  int c = peek(p);
  ++p->pos;
  const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
  const char *hit = c > 0 ? strchr(from, c) : NULL;
  if (hit && *hit)
    cat_sb_append_n(sb, to + (hit - from), 1);
  else if (c == 'u')
    parse_unicode_escape(p, sb);
  else
    fail(p, "bad escape in a string");
}

/* Returns a malloc'ed string; the opening quote is at p->pos. */
static char *parse_string_text(parser *p) {
  cat_strbuf sb = {0};
  cat_sb_append(&sb, "");
  ++p->pos;
  for (;;) {
    int c = peek(p);
    if (c < 0) { fail(p, "unterminated string"); break; }
    ++p->pos;
    if (c == '"') break;
    if (c < 0x20) { fail(p, "control character in a string"); break; }
    if (c == '\\') parse_escape(p, &sb);
    else cat_sb_append_n(&sb, p->text + p->pos - 1, 1);
    if (p->failed) break;
  }
  if (p->failed) {
    cat_sb_free(&sb);
    return NULL;
  }
  return sb.data;
}

static cat_json *parse_value(parser *p, int depth);

static void push_item(cat_json *node, char *key, cat_json *item) {
  node->items = cat_grow(node->items, node->count, sizeof *node->items);
  node->items[node->count] = item;
  if (node->kind == CAT_JSON_OBJECT) {
    node->keys = cat_grow(node->keys, node->count, sizeof *node->keys);
    node->keys[node->count] = key;
  }
  ++node->count;
}

/* The members of an array or object; the opening bracket is at p->pos. */
static cat_json *parse_container(parser *p, int depth, cat_json_kind kind) {
  cat_json *node = new_node(kind);
  int close = kind == CAT_JSON_OBJECT ? '}' : ']';
  ++p->pos;
  skip_space(p);
  if (peek(p) == close) { ++p->pos; return node; }
  while (!p->failed) {
    char *key = NULL;
    skip_space(p);
    if (kind == CAT_JSON_OBJECT) {
      if (peek(p) != '"') { fail(p, "expected a string key"); break; }
      if (!(key = parse_string_text(p))) break;
      skip_space(p);
      if (peek(p) != ':') { free(key); fail(p, "expected ':'"); break; }
      ++p->pos;
    }
    cat_json *item = parse_value(p, depth + 1);
    if (!item) { free(key); break; }
    push_item(node, key, item);
    skip_space(p);
    int c = peek(p);
    ++p->pos;
    if (c == close) return node;
    if (c != ',') { --p->pos; fail(p, "expected ',' or a closing bracket"); }
  }
  cat_json_free(node);
  return NULL;
}

static cat_json *parse_number(parser *p) {
  size_t start = p->pos;
  while (p->pos < p->len && strchr("+-0123456789.eE", p->text[p->pos]) &&
         p->text[p->pos] != '\0')
    ++p->pos;
  size_t n = p->pos - start;
  char buf[64];
  if (n == 0 || n >= sizeof buf) { fail(p, "bad number"); return NULL; }
  memcpy(buf, p->text + start, n);
  buf[n] = '\0';
  char *end;
  double value = strtod(buf, &end);
  if (*end != '\0') { p->pos = start; fail(p, "bad number"); return NULL; }
  cat_json *node = new_node(CAT_JSON_NUMBER);
  node->number = value;
  return node;
}

static cat_json *parse_literal(parser *p) {
  static const struct { const char *word; cat_json_kind kind; double value; }
      words[] = {{"true", CAT_JSON_BOOL, 1}, {"false", CAT_JSON_BOOL, 0},
                 {"null", CAT_JSON_NULL, 0}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; ++i) {
    size_t n = strlen(words[i].word);
    if (p->len - p->pos >= n && memcmp(p->text + p->pos, words[i].word, n) == 0) {
      p->pos += n;
      cat_json *node = new_node(words[i].kind);
      node->number = words[i].value;
      return node;
    }
  }
  fail(p, "unexpected character");
  return NULL;
}

static cat_json *parse_value(parser *p, int depth) {
  if (depth > MAX_DEPTH) { fail(p, "nesting too deep"); return NULL; }
  skip_space(p);
  int c = peek(p);
  if (c == '{') return parse_container(p, depth, CAT_JSON_OBJECT);
  if (c == '[') return parse_container(p, depth, CAT_JSON_ARRAY);
  if (c == '"') {
    char *text = parse_string_text(p);
    if (!text) return NULL;
    cat_json *node = new_node(CAT_JSON_STRING);
    node->string = text;
    return node;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p);
  if (c < 0) { fail(p, "unexpected end of input"); return NULL; }
  return parse_literal(p);
}

cat_json *cat_json_parse(const char *text, size_t len, char *err,
                         size_t err_size) {
  parser p = {text, len, 0, err, err_size, 0};
  cat_json *value = parse_value(&p, 0);
  if (value) {
    skip_space(&p);
    if (p.pos != p.len) {
      fail(&p, "unexpected text after the value");
      cat_json_free(value);
      value = NULL;
    }
  }
  return value;
}

void cat_json_free(cat_json *value) {
  if (!value)
    return;
  for (int64_t i = 0; i < value->count; ++i) {
    cat_json_free(value->items[i]);
    if (value->keys)
      free(value->keys[i]);
  }
  free(value->items);
  free(value->keys);
  free(value->string);
  free(value);
}

const cat_json *cat_json_get(const cat_json *object, const char *key) {
  if (!object || object->kind != CAT_JSON_OBJECT)
    return NULL;
  for (int64_t i = 0; i < object->count; ++i)
    if (strcmp(object->keys[i], key) == 0)
      return object->items[i];
  return NULL;
}
