# A test needing a feature nobody has: UNSUPPORTED, counts as skipped.
# REQUIRES: no-such-feature
# RUN: false
