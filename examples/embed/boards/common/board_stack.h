/* board_stack.h - the stack functions of board.h, the same on every board.
 *
 * Included once, by each board's startup file, after it defines
 * STACK_POINTER_ASM (the instruction that copies the stack pointer into
 * register %0) and STACK_PAINT, and declares the linker script's
 * __stack_bottom and __stack_top. The stack grows down from __stack_top;
 * board_stack_paint fills what lies below the current frame with
 * STACK_PAINT, and board_stack_used finds the deepest word overwritten
 * since. */
#ifndef BOARD_STACK_H
#define BOARD_STACK_H

#include <stddef.h>
#include <stdint.h>

static uint32_t *stack_pointer(void) {
  uint32_t *sp;
  __asm__ volatile(STACK_POINTER_ASM : "=r"(sp));
  return sp;
}

size_t board_stack_size(void) {
  return (size_t)((char *)__stack_top - (char *)__stack_bottom);
}

size_t board_stack_pointer(void) {
  return (size_t)((char *)__stack_top - (char *)stack_pointer());
}

size_t board_stack_used(void) {
  const uint32_t *p = __stack_bottom;
  while (p < __stack_top && *p == STACK_PAINT)
    ++p;
  return (size_t)((char *)__stack_top - (char *)p);
}

/* Volatile stores: a memset call would put its own frame in the region it
 * paints. The 16 bytes below the stack pointer stay unpainted for the same
 * reason (this function itself needs no stack below it). */
void board_stack_paint(void) {
  volatile uint32_t *p = __stack_bottom;
  uint32_t *end = stack_pointer() - 4;
  while (p < end)
    *p++ = STACK_PAINT;
}

#endif
