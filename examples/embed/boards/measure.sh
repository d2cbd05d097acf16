#!/usr/bin/env bash
# measure.sh - flash, RAM, stack and instructions of a catc model on the
# emulated microcontroller boards of examples/embed/boards/.
#
# Usage: measure.sh [--catc CATC] [-O LEVEL] [--keep DIR] [--weights W] MODEL.cat BOARD...
#   BOARD: cortex-m4 (qemu-system-arm -M mps2-an386, Cortex-M4F, hard float)
#          rv32      (qemu-system-riscv32 -M virt, RV32IMAFC, ilp32f)
#          rv32imac  (the same machine without the FPU: soft float, ilp32)
#   CATC defaults to build/bin/catc of this source tree; -O passes catc
#   -O<LEVEL> (2 by default; s or z for small code); --keep DIR keeps
#   the objects, images, link maps and outputs in DIR; --weights W compiles
#   the weights of W into the model (float, or int8 from `quantize`) and
#   the inference image measures _predict with them.
#
# The model's trained morphism must take one real input (R[...]) and have
# one output; the target may be classes (Fin) or reals. For each board the
# script builds two images of measure.c with the board's startup code, -Os,
# the board's C library (newlib-nano, picolibc) and --gc-sections:
#   inference  the parameters `_init` makes on the host (seed 1) as a const
#              array in flash, and _forward;
#   training   parameters and optimizer state in RAM, _init and _train_step.
# and reports for each:
#   flash bytes   code, read-only data and .data's initial image (size's
#                 text + data), with the model object's and the libraries'
#                 shares from the link map;
#   RAM bytes     .data + .bss (parameters, optimizer state, workspace,
#                 buffers) + the stack reserve (the linker script's 16 KB);
#   stack         the high-water mark of the whole run and the depth of one
#                 call (the stack is painted with a pattern and scanned);
#   workspace     <PREFIX>_WORKSPACE_BYTES(1) of the header (FORWARD_WORKSPACE_BYTES(1)
#                 for the inference image), and how much
#                 of it one call writes (painted, then scanned);
#   instructions  per call at batch 1: _forward (inference) and _train_step
#                 (training), under qemu -icount shift=0. These are
#                 INSTRUCTIONS EXECUTED, NOT CYCLES: qemu does not model
#                 pipelines, wait states, caches or the cost of a division or
#                 a load, so time on a real core needs its own measurement
#                 (cycles per instruction vary by core, memory and clock).
#                 They do not depend on the machine running qemu.
# How the instructions are counted: REPEATS (1000) calls between two counter
# reads, minus as many calls of an empty function (measure.c). RV32 reads
# minstret, which qemu -icount makes the exact instruction count. The
# Cortex-M4 reads SysTick at the core clock, which qemu runs at 25 MHz of
# virtual time, and -icount shift=0 makes an instruction 1 ns: one count is
# 40 instructions, so a figure is within 2 * 40 / 1000 = 0.08 instructions
# per call on the Cortex-M4, and exact on RV32. A calibration loop of known
# length (2 instructions per iteration) checks the scale on each run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
catc=$root/build/bin/catc
keep=
weights=
opt=2
repeats=1000

usage() {  # usage STATUS: the header's synopsis, to stderr unless asked for
  if [[ $1 == 0 ]]; then
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  else
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  fi
  exit "$1"
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --catc) catc=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --weights) weights=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    -O) opt=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "measure.sh: unknown option '$1'" >&2; usage 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || usage 2
model=$1
shift
[[ -f $model ]] || { echo "measure.sh: no model file '$model'" >&2; exit 2; }
[[ -x $catc ]] || { echo "measure.sh: no catc at '$catc' (give --catc)" >&2; exit 2; }

if [[ -n $keep ]]; then
  mkdir -p "$keep"
  work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# The board table: catc's flags, the compiler and its flags, the kit's
# sources, size and qemu. These are the commands of docs/embedding.md.
board_settings() {
  case $1 in
    cortex-m4)
      catc_flags=(--target=thumbv7em-none-eabihf -mcpu=cortex-m4)
      cc=arm-none-eabi-gcc
      cflags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
      # -z noexecstack: newlib's assembly objects (memset, ...) lack the
      # .note.GNU-stack section and ld 2.39+ warns of an executable stack,
      # which means nothing on a core without an MMU.
      ldflags=(--specs=nano.specs -nostartfiles -T "$here/cortex-m4/mps2-an386.ld" "-Wl,-z,noexecstack")
      kit=("$here/cortex-m4/startup.c")
      size=arm-none-eabi-size
      qemu=(qemu-system-arm -M mps2-an386)
      ;;
    rv32|rv32imac)
      if [[ $1 == rv32 ]]; then
        catc_flags=(--target=riscv32-unknown-elf -mcpu=sifive-e76)
        cflags=(-march=rv32imafc -mabi=ilp32f)
      else
        catc_flags=(--target=riscv32-unknown-elf -mcpu=sifive-e31)
        cflags=(-march=rv32imac -mabi=ilp32)
      fi
      cc=riscv64-unknown-elf-gcc
      ldflags=(--specs=picolibc.specs -nostartfiles -T "$here/rv32/virt.ld")
      kit=("$here/rv32/board.c" "$here/rv32/start.S")
      size=riscv64-unknown-elf-size
      qemu=(qemu-system-riscv32 -M virt -bios none)
      ;;
    *)
      echo "measure.sh: unknown board '$1' (cortex-m4, rv32, rv32imac)" >&2
      exit 2
      ;;
  esac
  cflags+=(-Os -ffunction-sections -fdata-sections -std=c99 -Wall -Wextra)
  ldflags+=("-Wl,--gc-sections")
}

# ---- The model: compile for the host, read its header ---------------------------
mkdir -p "$work/host"
"$catc" "$model" -c -o "$work/host/model.o" --emit-header "$work/host/model.h"
header=$work/host/model.h

# The trained morphism: the one whose header declares _train_step, with one
# real input x0 and one target t0.
step=$(grep -E '^float [a-z0-9_]+_train_step\(' "$header" || true)
prefix=$(sed -E 's/^float ([a-z0-9_]+)_train_step\(.*/\1/' <<<"$step")
if [[ -z $step ]] || ! grep -qE '\(float \*params, float \*opt_state, const float \*x0, const (int32_t|float) \*t0, size_t n' <<<"$step"; then
  echo "measure.sh: $model: the trained morphism must take one real input and one target" >&2
  exit 1
fi
target_type=$(sed -E 's/.*const (int32_t|float) \*t0.*/\1/' <<<"$step")
upper=$(tr '[:lower:]' '[:upper:]' <<<"$prefix")
# Its signature comment, /* name : R[4] -> R[3] */, just above its macros.
signature=$(grep -B1 "^#define ${upper}_PARAM_COUNT " "$header" | head -1 |
            sed -E 's|^/\* (.*) \*/$|\1|')
dims() {  # R[8, 8] -> 64; anything else -> empty
  sed -nE 's/^ *R\[([0-9, ]+)\] *$/\1/p' <<<"$1" | tr -d ' ' | tr ',' '*' |
    { read -r e && echo $((e)); } || true
}
domain=${signature#*: }
domain=${domain%% -> *}
codomain=${signature##* -> }
inputs=$(dims "$domain")
outputs=$(dims "$codomain")
if [[ -z $inputs || -z $outputs ]]; then
  echo "measure.sh: $model: $signature: the input and the output must each be one R[...]" >&2
  exit 1
fi
params=$(sed -nE "s/^#define ${upper}_PARAM_COUNT ([0-9]+)$/\1/p" "$header")
opt_state=$(sed -nE "s/^#define ${upper}_OPT_STATE_COUNT ([0-9]+)$/\1/p" "$header")

if [[ $target_type == int32_t ]]; then
  target_size=1 target_value="(int32_t)(1 % MODEL_OUT)"
else
  target_size=$outputs target_value="0.5f"
fi
cat > "$work/host/measure_model.h" <<EOF
/* Generated by measure.sh for $model. */
#include "model.h"
#define MODEL(name) ${prefix}_##name
#define MODEL_PARAM_COUNT ${upper}_PARAM_COUNT
#define MODEL_OPT_STATE_COUNT ${upper}_OPT_STATE_COUNT
#define MODEL_WORKSPACE_BYTES(n) ${upper}_WORKSPACE_BYTES(n)
#define MODEL_FORWARD_WORKSPACE_BYTES(n) ${upper}_FORWARD_WORKSPACE_BYTES(n)
#define MODEL_PREDICT_WORKSPACE_BYTES(n) ${upper}_PREDICT_WORKSPACE_BYTES(n)
#define MODEL_IN $inputs
#define MODEL_OUT $outputs
#define MODEL_TARGET_TYPE $target_type
#define MODEL_TARGET_SIZE $target_size
#define MODEL_TARGET_VALUE(i) ($target_value)
EOF

# The inference image's constant parameters: _init with seed 1, on the host.
cc -std=c99 -I"$work/host" "$here/dump_params.c" "$work/host/model.o" -lm -o "$work/host/dump_params"
"$work/host/dump_params" 1 > "$work/host/params.inc"

# ---- Per board: two images, run, size, report -------------------------------------
# value NAME FILE: the number on the line "NAME value".
value() { awk -v name="$1" '$1 == name { print $2 }' "$2"; }

# share FILE.map MODEL.o: flash bytes (input sections placed in flash: code,
# read-only data, .data's image) of the model object, of measure.c's
# constant parameters (.rodata.params) and of the libraries.
share() {
  python3 - "$1" "$2" <<'EOF'
import re, sys
map_file, model_object = sys.argv[1], sys.argv[2]
flash_sections = {".vectors", ".text", ".rodata", ".ARM.exidx", ".data", ".tdata"}
model = parameters = libraries = 0
output_section = None
name = None
in_map = False
with open(map_file, encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.rstrip("\n")
        if line.startswith("Linker script and memory map"):
            in_map = True
            continue
        if not in_map:
            continue
        m = re.match(r"^(\.\S+)", line)
        if m:
            output_section = m.group(1)
            continue
        m = re.match(r"^ (\S+)\s*$", line)  # a long input section name, alone
        if m:
            name = m.group(1)
            continue
        m = re.match(r"^ ?(\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if m and output_section in flash_sections:
            name = m.group(1) or name
            size, source = int(m.group(2), 16), m.group(3)
            if source == model_object:
                model += size
            elif name == ".rodata.params":
                parameters += size
            elif ".a(" in source:
                libraries += size
        name = None
print(model, parameters, libraries)
EOF
}

echo "measure.sh: $model, morphism ${prefix} ($signature), $params parameters"
echo "Instructions (qemu -icount), not cycles: counts of instructions executed at batch 1."
for board in "$@"; do
  board_settings "$board"
  dir=$work/$board
  mkdir -p "$dir"
  baked=()
  [[ -n $weights ]] && baked=(--weights "$weights")
  "$catc" "$model" -c -o "$dir/model.o" --emit-header "$dir/model.h" "-O$opt" "${catc_flags[@]}" "${baked[@]}"
  cp "$work/host/measure_model.h" "$work/host/params.inc" "$dir/"
  for image in inference training; do
    define=()
    [[ $image == training ]] && define=(-DMEASURE_TRAINING)
    [[ $image == inference && -n $weights ]] && define=(-DMEASURE_PREDICT)
    "$cc" "${cflags[@]}" "${define[@]}" -DREPEATS="$repeats" -I"$here/common" -I"$dir" \
      "$here/measure.c" "$here/common/board_print.c" "${kit[@]}" "$dir/model.o" \
      "${ldflags[@]}" -Wl,-Map="$dir/$image.map" -lm -o "$dir/$image.elf"
    timeout 120 "${qemu[@]}" -display none -monitor none -serial none \
      -chardev stdio,id=semihosting \
      -semihosting-config enable=on,target=native,chardev=semihosting \
      -icount shift=0 -kernel "$dir/$image.elf" > "$dir/$image.out"
    "$size" "$dir/$image.elf" > "$dir/$image.size"
  done

  # Figures, one column per image.
  declare -A fig=()
  for image in inference training; do
    out=$dir/$image.out
    read -r text data bss _ < <(tail -1 "$dir/$image.size")
    stack=$(value stack_size "$out")
    read -r model_flash param_flash lib_flash < <(share "$dir/$image.map" "$dir/model.o")
    k=$(value counts_to_instructions "$out")
    calls=$(value call_counts "$out")
    empty=$(value empty_counts "$out")
    fig[$image.flash]=$((text + data))
    workspace=$(value workspace_bytes "$out")
    state=0
    [[ $image == training ]] && state=$(( (params + opt_state) * 4 ))
    fig[$image.model]=$model_flash
    fig[$image.params]=$param_flash
    fig[$image.libs]=$lib_flash
    fig[$image.kit]=$((text + data - model_flash - param_flash - lib_flash))
    fig[$image.ram]=$((data + bss))
    fig[$image.state]=$state
    fig[$image.workspace]=$workspace
    fig[$image.touched]=$(value workspace_touched "$out")
    fig[$image.other]=$((data + bss - stack - state - workspace))
    fig[$image.stack]=$stack
    fig[$image.high]=$(value stack_high_water "$out")
    fig[$image.call_stack]=$(value call_stack "$out")
    # (calls - empty) * k / repeats, to one decimal.
    tenths=$(( ((calls - empty) * k * 10 + repeats / 2) / repeats ))
    fig[$image.instructions]=$((tenths / 10)).$((tenths % 10))
    fig[$image.calibration]="$(value calibration_instructions "$out") instructions measured as $(( $(value calibration_counts "$out") * k ))"
  done
  echo
  echo "board $board (catc ${catc_flags[*]})"
  row() { printf '  %-34s %12s %12s\n' "$1" "${fig[inference.$2]}" "${fig[training.$2]}"; }
  printf '  %-34s %12s %12s\n' "" inference training
  row "flash bytes" flash
  row "  model code and tables" model
  row "  parameters (const)" params
  row "  C library, libm, libgcc" libs
  row "  startup, board kit, driver" kit
  row "RAM bytes (with the stack reserve)" ram
  row "  parameters, optimizer state" state
  row "  workspace (batch 1)" workspace
  row "    of which one call writes" touched
  row "  other .data + .bss" other
  row "  stack reserve" stack
  row "stack high-water, whole run" high
  row "stack of one call" call_stack
  printf '  %-34s %12s %12s\n' "instructions per call (batch 1)" \
    "${fig[inference.instructions]}" "${fig[training.instructions]}"
  printf '  %-34s %12s %12s\n' "" "$([[ -n $weights ]] && echo "(_predict)" || echo "(_forward)")" "(_train_step)"
  echo "  calibration loop: ${fig[inference.calibration]}"
  unset fig
done
