/* board_print.c - number formatting for the boards, on top of board_write.
 *
 * printf would pull newlib's or picolibc's stdio (several kilobytes of
 * flash, and a heap for newlib's buffered streams) into images that only
 * need to show a few numbers. Floats are written in hexadecimal notation:
 * exact in a dozen characters with integer arithmetic alone, where a
 * correctly rounded decimal would need big-number arithmetic.
 */
#include "board.h"

#include <string.h>

/* Decimal digits of value, at least min_digits of them (zero padded), into
 * text (21 bytes at least); returns their count. By subtraction of powers
 * of ten: a 64-bit division would pull in the C library's division routine
 * (__aeabi_uldivmod on the Cortex-M4, several hundred bytes). */
static size_t format_u64(uint64_t value, unsigned min_digits, char *text) {
  static const uint64_t powers[20] = {
      10000000000000000000u, 1000000000000000000u, 100000000000000000u,
      10000000000000000u, 1000000000000000u, 100000000000000u, 10000000000000u,
      1000000000000u, 100000000000u, 10000000000u, 1000000000u, 100000000u,
      10000000u, 1000000u, 100000u, 10000u, 1000u, 100u, 10u, 1u};
  char *p = text;
  unsigned i;
  for (i = 0; i < 20; ++i) {
    char digit = '0';
    while (value >= powers[i]) {
      value -= powers[i];
      ++digit;
    }
    /* Leading zeros only where min_digits asks for them. */
    if (digit != '0' || p != text || 20 - i <= min_digits)
      *p++ = digit;
  }
  *p = '\0';
  return (size_t)(p - text);
}

void board_write_u64(uint64_t value) {
  char text[21];
  format_u64(value, 1, text);
  board_write(text);
}

void board_write_i64(int64_t value) {
  if (value < 0) {
    board_write("-");
    board_write_u64(0u - (uint64_t)value);
  } else {
    board_write_u64((uint64_t)value);
  }
}

static const char hex_digits[] = "0123456789abcdef";

/* Appends a word and writes the text. Not strcpy, nor strlen elsewhere:
 * newlib's are assembly objects without the .note.GNU-stack section, which
 * makes the linker warn. */
static void write_with(char *text, char *end, const char *word) {
  while ((*end++ = *word++) != '\0')
    ;
  board_write(text);
}

void board_write_hex32(uint32_t value) {
  char text[11];
  int i;
  text[0] = '0';
  text[1] = 'x';
  for (i = 0; i < 8; ++i)
    text[2 + i] = hex_digits[(value >> (28 - 4 * i)) & 0xfu];
  text[10] = '\0';
  board_write(text);
}

void board_write_hexfloat(float value) {
  uint32_t bits;
  uint32_t fraction;
  int exponent;
  char text[24];
  char *p = text;
  int digits;
  memcpy(&bits, &value, sizeof bits);
  if (bits >> 31)
    *p++ = '-';
  exponent = (int)((bits >> 23) & 0xffu);
  fraction = bits & 0x7fffffu;
  if (exponent == 0xff) {
    write_with(text, p, fraction ? "nan" : "inf");
    return;
  }
  *p++ = '0';
  *p++ = 'x';
  if (exponent == 0 && fraction == 0) {
    write_with(text, p, "0p+0");
    return;
  }
  /* Normal: 1.fraction * 2^(exponent - 127); subnormal: 0.fraction * 2^-126.
   * The 23 fraction bits, shifted left once, are six hex digits. */
  *p++ = exponent == 0 ? '0' : '1';
  exponent = exponent == 0 ? -126 : exponent - 127;
  fraction <<= 1;
  digits = 6;
  while (digits > 0 && (fraction & 0xfu) == 0) {
    fraction >>= 4;
    --digits;
  }
  if (digits > 0) {
    int i;
    *p++ = '.';
    for (i = digits - 1; i >= 0; --i)
      p[i] = hex_digits[(fraction >> (4 * (digits - 1 - i))) & 0xfu];
    p += digits;
  }
  *p++ = 'p';
  *p++ = exponent < 0 ? '-' : '+';
  if (exponent < 0)
    exponent = -exponent;
  if (exponent >= 100)
    *p++ = (char)('0' + exponent / 100);
  if (exponent >= 10)
    *p++ = (char)('0' + exponent / 10 % 10);
  *p++ = (char)('0' + exponent % 10);
  *p = '\0';
  board_write(text);
}

void board_write_fixed(int64_t value, unsigned decimals) {
  char text[23];
  char *digits = text + 1;
  size_t count, i;
  uint64_t magnitude = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
  if (decimals > 19)
    decimals = 19;
  count = format_u64(magnitude, decimals + 1, digits);
  if (value < 0)
    board_write("-");
  if (decimals == 0) {
    board_write(digits);
    return;
  }
  /* Shift the integer digits left by one and put the point after them. */
  for (i = 0; i < count - decimals; ++i)
    text[i] = digits[i];
  text[count - decimals] = '.';
  board_write(text);
}
