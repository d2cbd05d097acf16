# lit.cfg.py - a tiny lit suite with known outcomes (one of each kind), used by
# test/Infra/lit-pipeline.test to check what scripts/test.sh counts. The test
# copies this directory to a temporary place and compiles unit/DemoTests there.
import lit.formats

config.name = "mini"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".t"]
