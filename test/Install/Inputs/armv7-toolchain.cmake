# armv7-toolchain.cmake - cross-compiles the consumer for ARMv7 Linux with Debian's gcc.
#
# CMAKE_C_COMPILER_TARGET (which gcc ignores) is the triple catc_add_model
# passes to catc by default when cross-compiling.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_C_COMPILER_TARGET armv7-unknown-linux-gnueabihf)
