//===- Driver.h - The catc command line -------------------------*- C++ -*-===//
//
// The entry point behind tools/catc/main.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_DRIVER_DRIVER_H
#define CATC_DRIVER_DRIVER_H

namespace cat {

/// Runs catc with these arguments; returns the process exit status.
int runDriver(int argc, char **argv);

} // namespace cat

#endif // CATC_DRIVER_DRIVER_H
