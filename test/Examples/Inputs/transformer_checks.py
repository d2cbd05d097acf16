"""transformer_checks.py - assertions on the tiny transformer's outputs.

  alphabet CORPUS FILE PROMPT N  FILE (one `generate` output) is PROMPT
                                 followed by N bytes and a newline, and every
                                 byte occurs in CORPUS
  below JSON KEY BOUND           the number JSON[KEY] is below BOUND
  differ A B                     files A and B are not identical
Each prints what it measured, then exits 1 if the assertion fails.
"""
import json
import sys


def alphabet(corpus, path, prompt, count):
    allowed = set(open(corpus, "rb").read())
    text = open(path, "rb").read()
    prompt = prompt.encode()
    ok = text.startswith(prompt) and text.endswith(b"\n") and len(text) == len(prompt) + count + 1
    generated = text[len(prompt):-1]
    foreign = sorted(set(generated) - allowed)
    print("generated %d bytes, %d distinct, outside the corpus alphabet: %s"
          % (len(generated), len(set(generated)), foreign))
    return ok and not foreign


def below(path, key, bound):
    value = json.load(open(path))[key]
    print("%s %.4f (bound %s)" % (key, value, bound))
    return value < float(bound)


def differ(a, b):
    same = open(a, "rb").read() == open(b, "rb").read()
    print("identical" if same else "different")
    return not same


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "alphabet":
        ok = alphabet(args[0], args[1], args[2], int(args[3]))
    elif command == "below":
        ok = below(*args)
    elif command == "differ":
        ok = differ(*args)
    else:
        raise SystemExit("unknown check " + command)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
