# A test expected to fail that passes: counts as failed.
# XFAIL: *
# RUN: true
