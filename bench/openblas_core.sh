# shellcheck shell=sh
# openblas_core.sh - sourced by run.sh and gemm_bench.sh: runs OpenBLAS, the
# peer, on the kernels this CPU can run at full speed.
#
# Debian 12's OpenBLAS 0.3.21 chooses its kernels from the CPU model, and on
# models it does not know (some virtualised AVX-512 Xeons) it falls back to
# its SSE3 "Prescott" kernels: a third to a fifth of its speed, which would
# flatter catc.
# When OpenBLAS picks Prescott on a CPU that has AVX-512F (or AVX2 and FMA)
# and OPENBLAS_CORETYPE is not set, this sets it to SkylakeX (or Haswell),
# the kernels for those instruction sets, and says so on stderr. A choice the
# user made in OPENBLAS_CORETYPE is kept.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  openblas_core=$(${PYTHON:-/usr/bin/python3} -c 'import ctypes
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null || true)
  cpu_flags=" $(grep -m 1 '^flags' /proc/cpuinfo 2>/dev/null) "
  if [ "$openblas_core" = Prescott ]; then
    case $cpu_flags in
      *" avx512f "*) OPENBLAS_CORETYPE=SkylakeX ;;
      *" avx2 "*" fma "* | *" fma "*" avx2 "*) OPENBLAS_CORETYPE=Haswell ;;
    esac
    if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
      export OPENBLAS_CORETYPE
      echo "openblas_core.sh: OpenBLAS chose its Prescott kernels on this CPU; using its" \
        "$OPENBLAS_CORETYPE kernels (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)" >&2
    fi
  fi
fi
