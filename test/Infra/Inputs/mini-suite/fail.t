# A test that fails.
# RUN: false
