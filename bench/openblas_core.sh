# shellcheck shell=sh
# openblas_core.sh - sourced by run.sh and gemm_bench.sh: runs OpenBLAS, the
# peer, on the fastest kernels this CPU can run.
#
# Debian 12's OpenBLAS 0.3.21 chooses its kernels from the CPU model, and on
# models it does not know (some virtualised AVX-512 Xeons) it falls back to
# its SSE3 "Prescott" kernels: a third to a fifth of its speed, which would
# flatter catc (and slow PyTorch, which runs on the same OpenBLAS).
# When OpenBLAS picked kernels older than the CPU's instruction set, this
# sets OPENBLAS_CORETYPE to Cooperlake (AVX-512F with BF16), SkylakeX
# (AVX-512F) or, instead of Prescott, Haswell (AVX2 and FMA), and says so on
# stderr. A choice made in OPENBLAS_CORETYPE is kept, with a warning when it
# keeps OpenBLAS off the CPU's AVX-512 units (some machine images set
# OPENBLAS_CORETYPE=Haswell for every process; on a Zen 5 that halves
# OpenBLAS's speed): unset it for a fair peer.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  openblas_core=$(${PYTHON:-/usr/bin/python3} -c 'import ctypes
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null || true)
  cpu_flags=" $(grep -m 1 '^flags' /proc/cpuinfo 2>/dev/null) "
  case $openblas_core in
    SkylakeX | Cooperlake | SapphireRapids | "") ;; # AVX-512 already, or unknown
    *)
      case $cpu_flags in
        *" avx512f "*" avx512_bf16 "*) OPENBLAS_CORETYPE=Cooperlake ;;
        *" avx512f "*) OPENBLAS_CORETYPE=SkylakeX ;;
        *" avx2 "*" fma "* | *" fma "*" avx2 "*)
          [ "$openblas_core" = Prescott ] && OPENBLAS_CORETYPE=Haswell ;;
      esac
      ;;
  esac
  if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    export OPENBLAS_CORETYPE
    echo "openblas_core.sh: OpenBLAS chose its $openblas_core kernels on this CPU; using its" \
      "$OPENBLAS_CORETYPE kernels (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)" >&2
  fi
else
  case " $(grep -m 1 '^flags' /proc/cpuinfo 2>/dev/null) /$OPENBLAS_CORETYPE/" in
    *" avx512f "*/SkylakeX/ | *" avx512f "*/Cooperlake/ | *" avx512f "*/SapphireRapids/) ;;
    *" avx512f "*)
      echo "openblas_core.sh: warning: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE keeps OpenBLAS off" \
        "this CPU's AVX-512 units; the peer runs below its speed (unset it to let this" \
        "script choose)" >&2 ;;
  esac
fi
