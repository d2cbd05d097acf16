# lit.cfg.py - the GoogleTest part of the mini suite, configured like
# test/unit/lit.cfg.py: every executable here whose name ends in "Tests".
import lit.formats

config.name = "mini-unit"
config.test_format = lit.formats.GoogleTest(".", "Tests")
