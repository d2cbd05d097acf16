/* board.c - the board interface (../common/board.h) for an RV32 hart in
 * machine mode on qemu-system-riscv32 -M virt; start.S enters board_start.
 *
 * Output and exit use semihosting (qemu -semihosting-config
 * enable=on,target=native), as on the Cortex-M4 board, rather than virt's
 * 16550 UART at 0x10000000 and its SiFive test device at 0x100000 (which
 * would also work on Debian's qemu 7.2: writing 0x3333 | status << 16 to
 * the test device exits with the status). Semihosting gives one protocol
 * for both boards, carries the exit status on real hardware too (through
 * OpenOCD and the debug probe, where the test device does not exist), and
 * needs no device driver or polling of a transmit FIFO.
 * Semihosting operations (Arm "Semihosting for AArch32 and AArch64", which
 * RISC-V's semihosting reuses): SYS_WRITE0 0x04; SYS_EXIT_EXTENDED 0x20
 * with {ADP_Stopped_ApplicationExit 0x20026, status} (a 32-bit target's
 * plain SYS_EXIT carries no status).
 *
 * The counter is minstret, instructions retired. qemu 7.2 computes it (and
 * mcycle) from its virtual clock in nanoseconds: with -icount shift=0 that
 * is the exact instruction count (shift=N gives 2^N per instruction), and
 * without -icount it follows the host's clock, which means nothing here.
 */
#include "board.h"

#include <stdint.h>

/* The linker script's symbols (virt.ld). */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __tdata_load[], __tdata_start[], __tdata_end[];
extern uint32_t __tbss_start[], __tbss_end[], __tls_base[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);
/* start.S */
uint32_t board_semihost(uint32_t operation, const void *argument);

#define STACK_PAINT 0xc5a7c5a7u

enum {
  SYS_WRITE0 = 0x04,
  SYS_EXIT_EXTENDED = 0x20,
  ADP_STOPPED_APPLICATION_EXIT = 0x20026
};

void board_write(const char *text) { board_semihost(SYS_WRITE0, text); }

void board_exit(int status) {
  const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  board_semihost(SYS_EXIT_EXTENDED, block);
  for (;;) /* Without a debugger the call does not return. */
    __asm__ volatile("wfi");
}

/* ---- Counter ------------------------------------------------------------------ */

const char board_counter_name[] = "minstret";
const uint32_t board_counts_to_instructions = 1;

/* csrr is Zicsr, which GCC 12 counts as part of F but not of rv32imac: the
 * soft-float build (-march=rv32imac, whose picolibc multilib a
 * "_zicsr" suffix would miss) enables it here. */
#define READ_CSR(csr, value)                                                  \
  __asm__ volatile(".option push\n\t.option arch, +zicsr\n\t"                  \
                   "csrr %0, " #csr "\n\t.option pop"                           \
                   : "=r"(value))

uint64_t board_counter(void) {
  uint32_t high, low, again;
  /* The high half may change between the reads of the halves. */
  do {
    READ_CSR(minstreth, high);
    READ_CSR(minstret, low);
    READ_CSR(minstreth, again);
  } while (high != again);
  return ((uint64_t)high << 32) | low;
}

/* ---- Stack ------------------------------------------------------------------ */

#define STACK_POINTER_ASM "mv %0, sp"
#include "../common/board_stack.h"

/* ---- Reset and traps ---------------------------------------------------------- */

static void copy(uint32_t *to, uint32_t *end, const uint32_t *from) {
  while (to < end)
    *to++ = *from++;
}

static void zero(uint32_t *to, uint32_t *end) {
  while (to < end)
    *to++ = 0;
}

/* Entered from start.S with gp, sp, mtvec and the FPU set up. */
__attribute__((noreturn)) void board_start(void);
void board_start(void) {
  copy(__data_start, __data_end, __data_load);
  copy(__tdata_start, __tdata_end, __tdata_load);
  zero(__tbss_start, __tbss_end);
  zero(__bss_start, __bss_end);
  __asm__ volatile("mv tp, %0" : : "r"(__tls_base));
  board_exit(main());
}

/* From trap_entry in start.S. */
__attribute__((noreturn)) void board_trap_report(uint32_t cause, uint32_t pc, uint32_t value);
void board_trap_report(uint32_t cause, uint32_t pc, uint32_t value) {
  board_write("\nfault: trap mcause ");
  board_write_hex32(cause);
  board_write(" mepc ");
  board_write_hex32(pc);
  board_write(" mtval ");
  board_write_hex32(value);
  board_write("\n");
  board_exit(BOARD_FAULT_STATUS);
}
