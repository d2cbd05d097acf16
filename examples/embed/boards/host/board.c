/* host/board.c - the board interface on the build machine, so that a
 * board's test driver also runs natively and the two outputs can be
 * compared (test/Embed/board-*.test). Output goes to stdout; the counter
 * and the stack figures are zero: they mean something on a board only.
 */
#include "board.h"

#include <stdio.h>
#include <stdlib.h>

void board_write(const char *text) { fputs(text, stdout); }

void board_exit(int status) {
  fflush(stdout);
  exit(status);
}

const char board_counter_name[] = "none (host)";
const uint32_t board_counts_to_instructions = 0;
uint64_t board_counter(void) { return 0; }
size_t board_stack_size(void) { return 0; }
size_t board_stack_used(void) { return 0; }
size_t board_stack_pointer(void) { return 0; }
void board_stack_paint(void) {}
