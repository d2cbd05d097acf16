//===- Laws.h - Proving the laws of a program -------------------*- C++ -*-===//
//
// docs/language.md §8: `law NAME : e1 == e2 [within tol]` asks the compiler to
// prove e1 = e2. Both sides are lowered into one diagram (so a shared named
// instance has the same parameters on both sides) and compared first
// symbolically — equal normal forms modulo associativity, identities,
// interchange and the cartesian rewrites of Canonical.cpp — and otherwise
// numerically, by running both on random inputs with the reference
// evaluator (Evaluate.h). A law that fails is an error showing both sides.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_LAWS_LAWS_H
#define CATC_LAWS_LAWS_H

#include "Basic/Diagnostics.h"
#include "Sema/Program.h"

namespace cat::laws {

/// How a law was settled.
enum class Verdict { Symbolic, Numeric, Failed };

/// Checks one law; reports `err_law_failed` (with notes) when it fails.
Verdict checkLaw(const LawSpec &law, DiagnosticEngine &diags);

/// Checks every law of \p program; false if any failed.
bool checkLaws(const Program &program, DiagnosticEngine &diags);

} // namespace cat::laws

#endif // CATC_LAWS_LAWS_H
