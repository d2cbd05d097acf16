# lit.cfg.py - the catc unit tests: every GoogleTest executable in
# <build>/test/unit whose name ends in "Tests" (test/CMakeLists.txt,
# catc_unit_test). lit runs each in shards and reports every test case on
# its own, so the catc suite's run (scripts/test.sh) counts them one by one.
import os

import lit.formats

if not hasattr(config, "catc_unit_test_dir"):
    lit_config.fatal("run lit on the build directory's test/ (e.g. build/test)")

config.name = "catc-unit"
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.test_source_root = config.catc_unit_test_dir
config.test_exec_root = config.catc_unit_test_dir

path = [config.llvm_tools_dir, config.environment.get("PATH", "")]
config.environment["PATH"] = os.pathsep.join(p for p in path if p)
