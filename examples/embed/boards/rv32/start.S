/* start.S - reset entry and trap entry for an RV32 hart in machine mode,
 * as `qemu-system-riscv32 -M virt -bios none -kernel image.elf` starts it:
 * qemu's reset code jumps to the RAM's start, 0x80000000, where virt.ld
 * puts _start (section .text.start).
 *
 * _start sets the global pointer and the stack, installs the trap vector,
 * enables the FPU when the build has one (mstatus.FS: until it is non-zero
 * every floating-point instruction, even a register move, is an illegal
 * instruction), paints the stack for board_stack_used and continues in C
 * (board_start in board.c), which copies .data, zeroes .bss, sets up the
 * thread pointer for picolibc's errno and calls main.
 *
 * Facts used (RISC-V Privileged Architecture, version 20211203): mstatus.FS
 * is bits 13-14 (01 Initial); mtvec in direct mode needs 4-byte alignment;
 * mcause/mepc/mtval describe the trap.
 */
#define STACK_PAINT 0xc5a7c5a7

  /* csrr/csrw are Zicsr, part of F for GCC 12 but not of rv32imac. */
  .option arch, +zicsr

  .section .text.start, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  /* gp first, without relaxation: the relaxed form would use gp itself. */
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  la t0, trap_entry
  csrw mtvec, t0
#ifdef __riscv_flen
  li t0, 0x2000          /* mstatus.FS = Initial */
  csrs mstatus, t0
  csrwi fcsr, 0          /* round to nearest, no exception flags */
#endif
  /* Paint the whole stack: no frame exists yet. */
  la t0, __stack_bottom
  li t1, STACK_PAINT
1:
  bgeu t0, sp, 2f
  sw t1, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  j board_start
  .size _start, . - _start

  /* Every trap is unexpected here (no interrupts are enabled): report the
   * cause in C and exit. The C code runs on the interrupted stack, which is
   * fine for a handler that never returns. */
  .section .text.trap_entry, "ax", @progbits
  .balign 4
  .globl trap_entry
  .type trap_entry, @function
trap_entry:
  csrr a0, mcause
  csrr a1, mepc
  csrr a2, mtval
  j board_trap_report
  .size trap_entry, . - trap_entry

  /* The semihosting call: operation in a0, argument in a1, result in a0.
   * qemu (and debuggers) recognise the ebreak by the two instructions
   * around it; they must be uncompressed and on one page, hence norvc and
   * the 16-byte alignment. (RISC-V Semihosting, version 0.3.) */
  .section .text.board_semihost, "ax", @progbits
  .balign 16
  .globl board_semihost
  .type board_semihost, @function
board_semihost:
  .option push
  .option norvc
  slli zero, zero, 0x1f
  ebreak
  srai zero, zero, 7
  .option pop
  ret
  .size board_semihost, . - board_semihost
