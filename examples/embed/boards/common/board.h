/* board.h - the few services a program around a generated model needs from
 * a bare-metal board: console output, an exit status, a counter and the
 * stack's high-water mark.
 *
 * Implemented by cortex-m4/startup.c (qemu-system-arm -M mps2-an386), by
 * rv32/board.c (qemu-system-riscv32 -M virt) and, for comparisons, by
 * host/board.c (stdio on the build machine). Output and exit go through
 * semihosting on both boards, so under qemu the program's output is
 * qemu's standard output and its exit status qemu's exit status; on a real
 * board the same calls reach the host through the debug probe (OpenOCD,
 * pyOCD, J-Link all implement semihosting). The formatting helpers of
 * board_print.c build on board_write only: no printf, no malloc.
 */
#ifndef CATC_BOARD_H
#define CATC_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exit status of a program that took a processor fault (HardFault,
 * illegal instruction, misaligned or bad access): distinct from the 0/1 a
 * program returns, so a test sees "crashed" rather than "wrong". */
#define BOARD_FAULT_STATUS 3

/* Writes a NUL-terminated string to the console (qemu's stdout). */
void board_write(const char *text);

/* Ends the program with a status: qemu exits with it. Also what returning
 * from main does. */
void board_exit(int status) __attribute__((noreturn));

/* A free-running 64-bit counter and what one count is.
 * Cortex-M4: SysTick at the core clock, so one count is one core cycle on
 * real hardware; qemu clocks the MPS2's core at 25 MHz in virtual time,
 * and with -icount shift=0 an instruction takes 1 ns, so one count is
 * BOARD_COUNTS_TO_INSTRUCTIONS = 40 instructions there.
 * RV32: the minstret CSR, instructions retired; qemu derives it from its
 * virtual clock in nanoseconds, which -icount shift=0 advances by one per
 * instruction, so one count is one instruction there. */
uint64_t board_counter(void);
extern const char board_counter_name[];
/* Instructions per count under qemu -icount shift=0 (see above). */
extern const uint32_t board_counts_to_instructions;

/* The stack: its reserved size, and the high-water mark since the last
 * paint. The startup code paints the whole stack with a pattern before
 * main; board_stack_paint() repaints everything below the caller's frame,
 * so that a following board_stack_used() reports the depth of the calls in
 * between (plus the caller's frame). Both report bytes from the stack's
 * top. board_stack_pointer() is the current stack pointer's depth. */
size_t board_stack_size(void);
size_t board_stack_used(void);
size_t board_stack_pointer(void);
void board_stack_paint(void);

/* board_print.c: formatting on top of board_write. */
void board_write_u64(uint64_t value);          /* decimal */
void board_write_i64(int64_t value);           /* decimal, with '-' */
void board_write_hex32(uint32_t value);        /* 0x%08x */
/* A float exactly, in C99 hexadecimal notation (printf's "%a" for the
 * float's value): "0x1.8p+1", "-0x1.99999ap-4", "0x0p+0", "inf", "nan".
 * Python reads it back with float.fromhex. */
void board_write_hexfloat(float value);
/* A fixed-point decimal: value / 10^decimals, e.g. (12345, 2) -> "123.45". */
void board_write_fixed(int64_t value, unsigned decimals);

#ifdef __cplusplus
}
#endif

#endif /* CATC_BOARD_H */
