# toolchain.cmake - CMake cross-compilation for a Cortex-M4F (FPv4 single-
# precision FPU, hard-float ABI) with Arm's GNU toolchain and newlib-nano
# (Debian: gcc-arm-none-eabi, libnewlib-arm-none-eabi).
#
#   cmake -S <project> -B <build> -DCMAKE_TOOLCHAIN_FILE=<this file> \
#         -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_PREFIX_PATH=<catc prefix>
#
# It sets the compiler and the flags every object and link needs; the
# startup code and the linker script belong to the board, so the project
# names them (../example/CMakeLists.txt: BOARD_STARTUP, BOARD_LINKER_SCRIPT).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# The triple catc_add_model passes to catc (gcc ignores it), and the CPU
# the example passes to catc_add_model: the same CPU and ABI as the flags below.
set(CMAKE_C_COMPILER_TARGET thumbv7em-none-eabihf)
set(CATC_BOARD_CPU cortex-m4)

set(CMAKE_C_FLAGS_INIT
    "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 --specs=nano.specs -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
# The board's startup code replaces crt0; --gc-sections drops every
# function of the model the program does not call.
# (The specs file is in the C flags, which CMake passes to the link too:
# twice is an error.) -z noexecstack: newlib's assembly objects (memset, ...)
# lack the .note.GNU-stack section, and ld 2.39+ warns of an executable
# stack, which means nothing on a core without an MMU.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections -Wl,-z,noexecstack")
# CMake's compiler checks link a test program, which cannot work without
# the board's startup code and linker script: check by compiling only.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
