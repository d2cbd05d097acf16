# lit.cfg.py - the catc lit suite: test/<Phase>/*.cat and *.test.
#
# Loaded through <build>/test/lit.site.cfg.py (run lit on <build>/test, as
# scripts/test.sh does), which supplies the build-tree paths. Tests run in
# bash with the LLVM 19 tools (FileCheck, not, count, split-file) first on
# PATH. Features a test can REQUIRE (missing ones make it UNSUPPORTED, which
# lit reports and scripts/test.sh counts as skipped):
#   x86_64, avx512                    the host
#   torch, numpy, sklearn             importable by /usr/bin/python3
#   qemu-arm, qemu-aarch64, qemu-riscv64
#   arm-linux-gnueabihf-gcc, aarch64-linux-gnu-gcc, riscv64-linux-gnu-gcc
#   qemu-system-arm, qemu-system-riscv32  system emulators for the boards of
#                                     examples/embed/boards/
#   arm-none-eabi-gcc                 with newlib-nano (nano.specs)
#   riscv64-unknown-elf-gcc           with picolibc (picolibc.specs)
#   dot                               graphviz
#   sanitize                          catc and the runtime are instrumented
#                                     (CATC_SANITIZE; LD_PRELOAD tricks fail)
#   mpi                               mpirun and mpicc on PATH, and the build
#                                     has libcatrt_mpi.a (catc --mpi)
#   npm                               npm and node on PATH (editors/vscode)
#   vim                               a Vim with +syntax (not vim-tiny)
#   nvim                              Neovim (editors/vim/lua/catc.lua)
# Helper files that are not tests belong in Inputs/ directories. The unit
# tests are a nested suite (test/unit/lit.cfg.py).
import os
import platform
import shutil
import subprocess

import lit.formats

if not hasattr(config, "catc_obj_root"):
    lit_config.fatal(
        "run lit on the build directory's test/ (e.g. build/test), "
        "which has lit.site.cfg.py; scripts/test.sh does"
    )

config.name = "catc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".cat", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
# test_exec_root comes from lit.site.cfg.py: <build>/test.

# --- Environment ---------------------------------------------------------------
path = [config.llvm_tools_dir, config.catc_bin_dir, config.environment.get("PATH", "")]
config.environment["PATH"] = os.pathsep.join(p for p in path if p)
for var in ("HOME", "LANG", "LC_ALL"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
# Tests that time a peer or compare against torch run alone per core.
config.environment["OMP_NUM_THREADS"] = "1"


def tool(name):
    """Finds a program on the test PATH, or returns None."""
    return shutil.which(name, path=config.environment["PATH"])


# --- Substitutions (longest first where one is a prefix of another) -------------
qemu_sysroots = {
    "arm": "/usr/arm-linux-gnueabihf",
    "aarch64": "/usr/aarch64-linux-gnu",
    "riscv64": "/usr/riscv64-linux-gnu",
}
for arch, sysroot in qemu_sysroots.items():
    config.substitutions.append((f"%qemu_{arch}", f"qemu-{arch} -L {sysroot}"))
config.substitutions += [
    ("%catrt_include", os.path.join(config.catc_src_root, "runtime", "include")),
    ("%catrt_lib", f"{config.catrt_lib} {config.catrt_link_flags}".strip()),
    ("%catc", os.path.join(config.catc_bin_dir, "catc")),
    ("%FileCheck", os.path.join(config.llvm_tools_dir, "FileCheck")),
    ("%python", config.python_executable),
    ("%lit", f"{config.python_executable} {config.lit_script}"),
    ("%cxx", "c++"),
    ("%cc", config.test_cc),
    ("%examples", os.path.join(config.catc_src_root, "examples")),
    ("%stdlib", config.catc_stdlib_dir),
    ("%src_root", config.catc_src_root),
    ("%boards", os.path.join(config.catc_src_root, "examples", "embed", "boards")),
]

# The microcontroller boards of examples/embed/boards/ under qemu's system
# emulators: output and exit status through semihosting (the console on
# stdout through a chardev: without one, qemu 7.2 writes it to stderr),
# no display, serial port or monitor, and the instruction count as the
# clock (-icount shift=0), so that counters are deterministic. A hung image
# is killed after 60 s (a run takes well under a second) and fails the test.
qemu_system = ("timeout 60 {} -display none -monitor none -serial none "
               "-chardev stdio,id=semihosting "
               "-semihosting-config enable=on,target=native,chardev=semihosting "
               "-icount shift=0")
config.substitutions += [
    ("%qemu_m4", qemu_system.format("qemu-system-arm -M mps2-an386") + " -kernel"),
    ("%qemu_rv32", qemu_system.format("qemu-system-riscv32 -M virt -bios none") + " -kernel"),
]

# MPI jobs on this one machine (catc --mpi; docs/scaling.md): as
# root in containers, more ranks than cores, and shared memory without
# cross-memory attach, which Docker's default seccomp profile forbids
# (process_vm_readv); the runtime's waits poll, so that costs nothing.
# %mpicc and %catrt_mpi_lib build programs on the runtime's comm layer.
config.catrt_mpi_lib = os.path.join(os.path.dirname(config.catrt_lib), "libcatrt_mpi.a")
mpicc = "mpicc"
if config.catrt_link_flags:  # the sanitizers of the compiler that built it
    mpicc = f"env OMPI_CC={config.test_cc} mpicc {config.catrt_link_flags}"
config.substitutions += [
    ("%mpirun", "mpirun --oversubscribe --allow-run-as-root "
                "--mca btl_vader_single_copy_mechanism none"),
    ("%mpicc", mpicc),
    ("%catrt_mpi_lib", config.catrt_mpi_lib),
]

# --- Features -------------------------------------------------------------------
if config.catrt_link_flags:
    config.available_features.add("sanitize")
if platform.machine() in ("x86_64", "AMD64"):
    config.available_features.add("x86_64")
try:
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        if " avx512f" in cpuinfo.read():
            config.available_features.add("avx512")
except OSError:
    pass

# One interpreter start for all modules: importing torch takes a second.
probe = subprocess.run(
    [config.python_executable, "-c",
     "import importlib\n"
     "for m in ('torch', 'numpy', 'sklearn'):\n"
     "    try:\n"
     "        importlib.import_module(m); print(m)\n"
     "    except Exception:\n"
     "        pass\n"],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    env=config.environment,
)
for module in probe.stdout.split():
    config.available_features.add(module)

for program in ("qemu-arm", "qemu-aarch64", "qemu-riscv64", "dot",
                "arm-linux-gnueabihf-gcc", "aarch64-linux-gnu-gcc",
                "riscv64-linux-gnu-gcc", "qemu-system-arm", "qemu-system-riscv32"):
    if tool(program):
        config.available_features.add(program)

if tool("mpirun") and tool("mpicc") and os.path.exists(config.catrt_mpi_lib):
    config.available_features.add("mpi")

# The editor support of editors/: the VS Code extension's npm scripts, and
# the Vim syntax files in Vim (Debian's vim-tiny has no syntax highlighting)
# and Neovim.
# "npm" also needs the extension's packages, which scripts/install-deps.sh
# --with-tests fetches from the npm registry into editors/vscode/node_modules
# and npm's cache: without the registry the extension's tests are skipped.
npm_packages = os.path.join(config.catc_src_root, "editors", "vscode", "node_modules",
                            ".package-lock.json")
if tool("npm") and tool("node") and os.path.exists(npm_packages):
    config.available_features.add("npm")
vim = tool("vim")
if vim:
    version = subprocess.run([vim, "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
    if "+syntax" in version:
        config.available_features.add("vim")
if tool("nvim"):
    config.available_features.add("nvim")

# The bare-metal compilers count only with their C library, which Debian
# packages separately (libnewlib-arm-none-eabi, picolibc-riscv64-unknown-elf):
# gcc prints a specs file's bare name when it cannot find it.
for program, specs in (("arm-none-eabi-gcc", "nano.specs"),
                       ("riscv64-unknown-elf-gcc", "picolibc.specs")):
    compiler = tool(program)
    if compiler:
        found = subprocess.run([compiler, f"-print-file-name={specs}"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if os.path.isabs(found.stdout.strip()):
            config.available_features.add(program)

# A pseudo-terminal (for the live progress bar): missing in some chroots
# without /dev/pts, where those tests show as UNSUPPORTED.
try:
    _master, _slave = os.openpty()
    os.close(_master)
    os.close(_slave)
    config.available_features.add("pty")
except OSError:
    pass
