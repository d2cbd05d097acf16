# A test that fails as expected: counts as passed.
# XFAIL: *
# RUN: false
