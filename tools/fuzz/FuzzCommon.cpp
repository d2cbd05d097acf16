//===- FuzzCommon.cpp - What the compiler's fuzz targets share ------------===//
#include "FuzzCommon.h"

#include "Laws/Laws.h"
#include "Parse/Parser.h"
#include "Sema/Sema.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <vector>

namespace cat::fuzz {

std::unique_ptr<Analysis> analyze(const uint8_t *data, size_t size) {
  auto a = std::make_unique<Analysis>();
  a->diags = std::make_unique<DiagnosticEngine>(a->sourceMgr, llvm::nulls());
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  unsigned buffer = a->sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.cat"),
                                                    llvm::SMLoc());
  a->file = parseSourceFile(buffer, *a->diags);
  a->parsed = !a->diags->hasErrors();
  static const ModuleSearchPath search{{}, CATC_FUZZ_STDLIB_DIR};
  // The stdlib modules an input imports (and the index of their names an
  // unknown name consults) are parsed once, not on every input: they are
  // still read, checked and reported on each time.
  static ModuleCache *const cache = new ModuleCache;
  if (a->parsed)
    a->program = analyzeProgram(buffer, "fuzz.cat", search, *a->diags, cache, a->file.get());
  else if (!a->file->decls.empty()) // errors of the AST builder: checked as catc does
    a->program = analyzeProgram(buffer, "fuzz.cat", search, *a->diags, cache);
  if (a->program && (a->diags->hasErrors() || !laws::checkLaws(*a->program, *a->diags)))
    a->program.reset();
  return a;
}

namespace {
/// Words of the language a mutation may put anywhere a word stands.
const char *const kWords[] = {
    "module", "import", "object", "morphism", "train", "law", "id", "R", "Fin", "std.nn", "std.loss",
    "copy", "drop", "fst", "snd", "pi", "swap", "add", "sub", "mul", "div", "neg", "exp", "log",
    "sqrt", "square", "relu", "sigmoid", "tanh", "gelu", "scale", "zero", "const", "sum", "mean",
    "broadcast", "dot", "matmul", "transpose", "reshape", "concat", "softmax", "log_softmax",
    "causal_mask", "param", "linear", "bias", "embed", "layernorm", "mse", "cross_entropy", "bce",
    "map", "dense", "dense_relu", "mlp", "loss", "optimizer", "sgd", "adam", "lr", "momentum",
    "batch", "epochs", "seed", "data", "csv", "text", "tokens", "target", "features", "all"};
const char *const kPunctuation[] = {";", "*", ",", "->", "<", ">", "[", "]", "(", ")", "{", "}",
                                    ":", "=", "^", ".", "\n"};
const char *const kNumbers[] = {"0", "1", "2", "3", "4", "7", "8", "16", "32", "256", "1024",
                                "0.5", "1e-3", "-1", "65536", "4294967296"};

enum class Kind { Word, Number, Space, Other };

struct Token {
  Kind kind;
  std::string text;
};

std::vector<Token> tokenize(const std::string &s) {
  std::vector<Token> tokens;
  for (size_t i = 0; i < s.size();) {
    size_t j = i + 1;
    Kind kind = Kind::Other;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isalpha(c) || c == '_') {
      kind = Kind::Word;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '.'))
        ++j;
    } else if (std::isdigit(c)) {
      kind = Kind::Number;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.'))
        ++j;
    } else if (std::isspace(c)) {
      kind = Kind::Space;
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])))
        ++j;
    } else if (c == '-' && j < s.size() && s[j] == '>') {
      ++j;
    }
    tokens.push_back({kind, s.substr(i, j - i)});
    i = j;
  }
  return tokens;
}

template <size_t N> const char *pick(const char *const (&list)[N], std::mt19937 &rng) {
  return list[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}
} // namespace

size_t mutateTokens(uint8_t *data, size_t size, size_t maxSize, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Token> tokens = tokenize(std::string(reinterpret_cast<const char *>(data), size));
  std::vector<size_t> solid; // tokens that are not white space
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i].kind != Kind::Space)
      solid.push_back(i);
  auto any = [&](const std::vector<size_t> &from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
  };
  if (solid.empty()) {
    tokens.push_back({Kind::Word, pick(kWords, rng)});
  } else {
    Token &t = tokens[any(solid)];
    switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
    case 0: // another word of this program, or of the language
      if (t.kind == Kind::Word) {
        std::vector<size_t> words;
        for (size_t i : solid)
          if (tokens[i].kind == Kind::Word)
            words.push_back(i);
        t.text = std::uniform_int_distribution<int>(0, 1)(rng) ? tokens[any(words)].text : pick(kWords, rng);
      } else {
        t.text = pick(kPunctuation, rng);
      }
      break;
    case 1: // another number
      t.text = pick(kNumbers, rng);
      break;
    case 2: // drop a token
      t.text.clear();
      break;
    case 3: // repeat a token
      t.text += " " + t.text;
      break;
    case 4: // a copy of another token after this one
      t.text += " " + tokens[any(solid)].text;
      break;
    default: // swap two tokens
      std::swap(t.text, tokens[any(solid)].text);
      break;
    }
  }
  std::string out;
  for (const Token &t : tokens)
    out += t.text;
  size_t n = std::min(out.size(), maxSize);
  std::copy(out.begin(), out.begin() + static_cast<long>(n), data);
  return n;
}

} // namespace cat::fuzz
