/* startup.c - reset, vectors, faults, semihosting and SysTick for a
 * Cortex-M4F, as emulated by `qemu-system-arm -M mps2-an386` (Arm's AN386
 * FPGA image for the MPS2 board).
 *
 * Build: arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard
 * -mfpu=fpv4-sp-d16, linked with mps2-an386.ld and -nostartfiles (this file
 * replaces crt0). The reset handler
 *   1. enables the FPU (CPACR) before any C code runs: the hard-float ABI
 *      lets the compiler use FPU registers anywhere, even for copies, and
 *      an FPU instruction while CP10/CP11 are off is a UsageFault (NOCP);
 *   2. paints the stack with STACK_PAINT (board_stack_used scans for it);
 *   3. copies .data from flash, zeroes .bss;
 *   4. starts SysTick (board_counter), calls main and exits with its value.
 * No C library initialisation is needed: the generated models use libm and
 * memset/memcpy only, which need none, and C has no constructors.
 *
 * Every fault handler reports the fault (CFSR, HFSR, the faulting PC) and
 * exits with BOARD_FAULT_STATUS, so a crash fails a test at once instead of
 * hanging it.
 *
 * Facts used (ARMv7-M Architecture Reference Manual, Arm DDI 0403):
 *   vector table: initial SP, then Reset, NMI, HardFault, MemManage,
 *   BusFault, UsageFault, 4 reserved, SVCall, DebugMon, reserved, PendSV,
 *   SysTick, then the external interrupts (AN386: 32 of them);
 *   CPACR 0xE000ED88 (CP10 and CP11 in bits 20-23), CFSR 0xE000ED28,
 *   HFSR 0xE000ED2C, MMFAR 0xE000ED34, BFAR 0xE000ED38;
 *   SysTick CSR/RVR/CVR at 0xE000E010/14/18, a 24-bit down-counter.
 * Semihosting (Arm "Semihosting for AArch32 and AArch64", version 2):
 *   BKPT 0xAB on M-profile, operation in r0, argument in r1;
 *   SYS_WRITE0 0x04, SYS_EXIT_EXTENDED 0x20 with the block
 *   {ADP_Stopped_ApplicationExit 0x20026, status}: the plain SYS_EXIT of
 *   AArch32 cannot carry a status, the extended one can and qemu exits
 *   with it.
 */
#include "board.h"

#include <stdint.h>

/* The linker script's symbols (mps2-an386.ld). */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);

#define STACK_PAINT 0xc5a7c5a7u

#define REG32(address) (*(volatile uint32_t *)(address))
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define SCB_MMFAR REG32(0xE000ED34u)
#define SCB_BFAR REG32(0xE000ED38u)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

/* ---- Semihosting ---------------------------------------------------------- */

static uint32_t semihost(uint32_t operation, const void *argument) {
  register uint32_t r0 __asm__("r0") = operation;
  register const void *r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

enum {
  SYS_WRITE0 = 0x04,
  SYS_EXIT_EXTENDED = 0x20,
  ADP_STOPPED_APPLICATION_EXIT = 0x20026
};

void board_write(const char *text) { semihost(SYS_WRITE0, text); }

void board_exit(int status) {
  const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  semihost(SYS_EXIT_EXTENDED, block);
  for (;;) /* Without a debugger the call does not return. */
    __asm__ volatile("wfi");
}

/* ---- SysTick: a 64-bit core-clock counter ---------------------------------- */

const char board_counter_name[] = "SysTick core clock";
/* qemu's MPS2 core clock is 25 MHz of virtual time (40 ns a cycle), and
 * -icount shift=0 advances virtual time 1 ns per instruction. */
const uint32_t board_counts_to_instructions = 40;

/* Wraps of the 24-bit counter, counted by the SysTick exception. */
static volatile uint32_t systick_wraps;

static void SysTick_Handler(void) { systick_wraps = systick_wraps + 1; }

static void systick_start(void) {
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0; /* any write clears it; it reloads on the next clock */
  SYST_CSR = 7u; /* ENABLE | TICKINT | CLKSOURCE (the core clock) */
}

uint64_t board_counter(void) {
  uint32_t wraps, value;
  /* A wrap between the two reads makes the exception pending, and it is
   * taken at once: the second read of the wraps then differs. */
  /* At 0 the wrap may or may not be counted yet (the exception comes with
   * the count reaching 0, the reload one clock later): wait for the reload,
   * at most one count. */
  do {
    wraps = systick_wraps;
    value = SYST_CVR;
  } while (wraps != systick_wraps || value == 0);
  return ((uint64_t)wraps << 24) + (0xFFFFFFu - value);
}

/* ---- Stack ------------------------------------------------------------------ */

#define STACK_POINTER_ASM "mov %0, sp"
#include "../common/board_stack.h"

/* ---- Reset -------------------------------------------------------------------- */

/* Global, not static: the naked Reset_Handler branches to it by name. */
__attribute__((noreturn)) void board_start(void);
void board_start(void) {
  const uint32_t *from = __data_load;
  uint32_t *to;
  for (to = __data_start; to < __data_end;)
    *to++ = *from++;
  for (to = __bss_start; to < __bss_end;)
    *to++ = 0;
  systick_start();
  board_exit(main());
}

/* Naked: no prologue, no compiler-generated code before the FPU is on. The
 * stack is painted here, before any frame exists, so the whole stack is
 * covered; SP is __stack_top (the vector table's entry 0). */
__attribute__((naked, noreturn)) void Reset_Handler(void) {
  __asm__ volatile(
      "ldr r0, =0xE000ED88\n"  /* CPACR */
      "ldr r1, [r0]\n"
      "orr r1, r1, #0x00F00000\n" /* CP10, CP11: full access */
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "ldr r0, =__stack_bottom\n"
      "ldr r1, =0xc5a7c5a7\n" /* STACK_PAINT */
      "mov r2, sp\n"
      "1: cmp r0, r2\n"
      "bhs 2f\n"
      "str r1, [r0], #4\n"
      "b 1b\n"
      "2: b board_start\n");
}

/* ---- Faults and unexpected interrupts --------------------------------------------- */

static const char *const exception_names[16] = {
    "?", "Reset", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault", "?",
    "?", "?", "?", "SVCall", "DebugMonitor", "?", "PendSV", "SysTick"};

/* frame: the stacked r0-r3, r12, lr, pc, xPSR of the interrupted code.
 * Global, not static: Fault_Handler branches to it by name. */
__attribute__((noreturn)) void board_fault_report(const uint32_t *frame, uint32_t ipsr);
void board_fault_report(const uint32_t *frame, uint32_t ipsr) {
  board_write("\nfault: ");
  if (ipsr < 16) {
    board_write(exception_names[ipsr]);
  } else {
    board_write("unexpected interrupt ");
    board_write_u64(ipsr - 16);
  }
  board_write(" pc ");
  board_write_hex32(frame[6]);
  board_write(" lr ");
  board_write_hex32(frame[5]);
  board_write(" CFSR ");
  board_write_hex32(SCB_CFSR);
  board_write(" HFSR ");
  board_write_hex32(SCB_HFSR);
  board_write(" MMFAR ");
  board_write_hex32(SCB_MMFAR);
  board_write(" BFAR ");
  board_write_hex32(SCB_BFAR);
  board_write("\n");
  board_exit(BOARD_FAULT_STATUS);
}

/* Finds the exception frame (main or process stack, bit 2 of EXC_RETURN in
 * lr) and the exception number (IPSR), then reports. */
__attribute__((naked, noreturn)) static void Fault_Handler(void) {
  __asm__ volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mrs r1, ipsr\n"
      "b board_fault_report\n");
}

/* The vector table, placed at address 0 by the linker script. */
typedef void (*vector)(void);
__attribute__((section(".vectors"), used)) static const vector vectors[16 + 32] = {
    (vector)__stack_top, /* 0: initial SP */
    Reset_Handler,       /* 1 */
    Fault_Handler,       /* 2: NMI */
    Fault_Handler,       /* 3: HardFault */
    Fault_Handler,       /* 4: MemManage */
    Fault_Handler,       /* 5: BusFault */
    Fault_Handler,       /* 6: UsageFault */
    0, 0, 0, 0,          /* 7-10: reserved */
    Fault_Handler,       /* 11: SVCall */
    Fault_Handler,       /* 12: DebugMonitor */
    0,                   /* 13: reserved */
    Fault_Handler,       /* 14: PendSV */
    SysTick_Handler,     /* 15: SysTick */
    /* 16-47: AN386's 32 external interrupts, none enabled. */
    [16 ... 47] = Fault_Handler,
};
