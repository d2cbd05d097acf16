# A test that passes.
# RUN: true
