# toolchain.cmake - CMake cross-compilation for an RV32IMAFC core (single-
# precision FPU, ilp32f ABI) with Debian's riscv64-unknown-elf-gcc, which
# also compiles for RV32, and picolibc (Debian: gcc-riscv64-unknown-elf,
# picolibc-riscv64-unknown-elf).
#
#   cmake -S <project> -B <build> -DCMAKE_TOOLCHAIN_FILE=<this file> \
#         -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_PREFIX_PATH=<catc prefix>
#
# It sets the compiler and the flags every object and link needs; the
# startup code and the linker script belong to the board, so the project
# names them (../example/CMakeLists.txt: BOARD_STARTUP, BOARD_LINKER_SCRIPT).
# For a core without an FPU (RV32IMAC), use -march=rv32imac -mabi=ilp32
# below and CATC_BOARD_CPU sifive-e31.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
# The triple catc_add_model passes to catc (gcc ignores it), and the CPU
# the example passes to catc_add_model (SiFive E76: RV32IMAFC).
set(CMAKE_C_COMPILER_TARGET riscv32-unknown-elf)
set(CATC_BOARD_CPU sifive-e76)

# picolibc.specs: picolibc's headers and libraries for the -march/-mabi
# multilib (picolibc's own crt0 and linker script are replaced by the
# board's: -nostartfiles, and the project's -T).
set(CMAKE_C_FLAGS_INIT
    "-march=rv32imafc -mabi=ilp32f --specs=picolibc.specs -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "-march=rv32imafc -mabi=ilp32f")
# (The specs file is in the C flags, which CMake passes to the link too:
# twice is an error.)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections")
# CMake's compiler checks link a test program, which cannot work without
# the board's startup code and linker script: check by compiling only.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
