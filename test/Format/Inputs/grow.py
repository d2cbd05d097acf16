"""grow.py - a broken formatter for repo.test: appends a blank line each time.

Takes catc-format's arguments: with --check it fails; with a file it prints
the file plus a newline; with none, standard input plus a newline.
"""
import sys

args = sys.argv[1:]
if "--check" in args:
    sys.exit(1)
text = open(args[0]).read() if args else sys.stdin.read()
sys.stdout.write(text + "\n")
