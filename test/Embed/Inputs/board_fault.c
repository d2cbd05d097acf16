/* board_fault.c - a program that faults (an undefined instruction on the
 * Cortex-M4, a breakpoint trap on RV32): the board kit's handler must
 * report it and end the run with BOARD_FAULT_STATUS, so that a crashing
 * image fails its test at once instead of hanging until the timeout.
 */
#include "board.h"

int main(void) {
  board_write("before the fault\n");
  __builtin_trap();
}
