//===- Format.cpp - The canonical layout of .cat files --------------------===//
//
// Three passes over the tokens (comments included):
//   1. line breaks: how many newlines go before each token — the author's,
//      capped at one blank line, plus the ones the layout forces (a
//      declaration starts a line, so does each train entry and the closing
//      brace; a line comment ends one) and minus the ones it removes (inside
//      `train NAME {`, before the first token, in an empty train block);
//   2. alignment: the padding before the `=` of consecutive one-line object
//      declarations, the `:` of consecutive one-line non-generic morphism
//      declarations and of consecutive one-line laws, and the `=` of a train
//      block's entries; and which pairings span lines (`< f,\n    g >`);
//   3. rendering: spacing between tokens on a line, the indentation of each
//      line from a stack of open brackets, end-of-line comments.
// Whatever the input, only whitespace between tokens changes (and trailing
// blanks of line comments).
//
//===----------------------------------------------------------------------===//
#include "Format/Format.h"

#include "Parse/Parser.h"
#include "Parse/Tokens.h"

#include <algorithm>
#include <vector>

using namespace cat;
using llvm::StringRef;

namespace {

using K = TokenKind;

/// Columns count code points (UTF-8 continuation bytes do not count).
unsigned width(StringRef s) {
  unsigned n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool isDeclKeyword(K k) {
  return k == K::Module || k == K::Import || k == K::Object || k == K::Morphism ||
         k == K::Train || k == K::Law;
}
bool isOpener(K k) {
  return k == K::LParen || k == K::LBrack || k == K::LAngle || k == K::LBrace;
}
bool isCloser(K k) {
  return k == K::RParen || k == K::RBrack || k == K::RAngle || k == K::RBrace;
}

class Formatter {
public:
  Formatter(StringRef text, std::vector<Token> toks) : text(text), toks(std::move(toks)) {}
  std::string run();

private:
  StringRef textOf(size_t i) const { return toks[i].text(text); }
  K kind(size_t i) const { return toks[i].kind; }
  bool isComment(size_t i) const { return toks[i].isComment(); }
  /// The next code (non-comment) token after \p i, or npos.
  size_t nextCode(size_t i) const {
    for (size_t j = i + 1; j < toks.size(); ++j)
      if (!isComment(j))
        return j;
    return npos;
  }
  bool multiLineComment(size_t i) const {
    return kind(i) == K::BlockComment && textOf(i).contains('\n');
  }

  void computeBreaks();
  void computeAlignment();
  void alignTrainBlocks();
  void alignDeclarations();
  std::string render();

  static constexpr size_t npos = static_cast<size_t>(-1);
  StringRef text;
  std::vector<Token> toks;
  std::vector<unsigned> breaks;   ///< newlines before token i: 0, 1 or 2
  std::vector<unsigned> pad;      ///< extra spaces before token i
  std::vector<bool> entryKey;     ///< token i starts a train entry
  std::vector<unsigned> origCol;  ///< token i's column in the input
  std::vector<bool> spacious;     ///< `<` or `>` of a pairing that spans lines
};

void Formatter::computeBreaks() {
  size_t n = toks.size();
  breaks.assign(n, 0);
  entryKey.assign(n, false);
  origCol.assign(n, 0);
  std::vector<K> stack; // open brackets
  size_t prevCode = npos;
  uint32_t lineStart = 0;
  for (size_t i = 0; i < n; ++i) {
    StringRef gap = text.slice(i ? toks[i - 1].end : 0, toks[i].begin);
    unsigned newlines = gap.count('\n');
    if (size_t nl = gap.rfind('\n'); nl != StringRef::npos)
      lineStart = (i ? toks[i - 1].end : 0) + nl + 1;
    else if (i && multiLineComment(i - 1))
      lineStart = toks[i - 1].begin + textOf(i - 1).rfind('\n') + 1;
    origCol[i] = width(text.slice(lineStart, toks[i].begin));

    unsigned b = std::min(newlines, 2u);
    K k = kind(i);
    bool code = !isComment(i);
    bool inBlock = !stack.empty() && stack.back() == K::LBrace;
    if (code && inBlock && k == K::Ident && stack.size() == 1) {
      size_t next = nextCode(i);
      entryKey[i] = next != npos && kind(next) == K::Eq;
    }
    bool afterBrace = prevCode != npos && kind(prevCode) == K::LBrace && prevCode == i - 1;
    if (i > 0 && kind(i - 1) == K::LineComment)
      b = std::max(b, 1u);
    if (code && (isDeclKeyword(k) || entryKey[i]))
      b = std::max(b, 1u);
    if (afterBrace)
      b = std::min(b, code ? 1u : b);
    if (code && afterBrace && k != K::RBrace)
      b = 1;
    if (k == K::RBrace && code)
      b = afterBrace ? 0 : 1;
    // `train NAME {` stays on one line (unless a comment is in between).
    if (code && prevCode == i - 1 && prevCode != npos &&
        ((k == K::Ident && kind(prevCode) == K::Train) ||
         (k == K::LBrace && prevCode >= 1 && kind(prevCode - 1) == K::Train)))
      b = 0;
    if (i == 0)
      b = 0;
    breaks[i] = b;

    if (!code)
      continue;
    if (isDeclKeyword(k))
      stack.clear();
    if (isOpener(k))
      stack.push_back(k);
    else if (isCloser(k) && !stack.empty())
      stack.pop_back();
    prevCode = i;
  }
}

void Formatter::alignTrainBlocks() {
  // The keys of each train block: their `=` in one column.
  size_t n = toks.size();
  for (size_t i = 0; i < n; ++i) {
    if (kind(i) != K::LBrace)
      continue;
    std::vector<size_t> keys;
    size_t j = i + 1;
    for (; j < n && kind(j) != K::RBrace && !isDeclKeyword(kind(j)); ++j)
      if (entryKey[j])
        keys.push_back(j);
    unsigned widest = 0;
    for (size_t key : keys)
      widest = std::max(widest, width(textOf(key)));
    for (size_t key : keys) {
      size_t eq = nextCode(key);
      if (eq == key + 1) // no comment between key and `=`
        pad[eq] = widest - width(textOf(key));
    }
    i = j;
  }
}

void Formatter::alignDeclarations() {
  // A declaration is alignable when it is an object declaration, a law, or
  // a morphism declaration without generic parameters, that stays on one
  // line and whose name is followed directly by the `=` or `:` to align.
  struct Decl {
    size_t keyword, name, mark; // mark: the `=` or `:` aligned
    size_t lastOnLine;          // the last token on its line (a comment, maybe)
    bool alignable;
  };
  std::vector<Decl> decls;
  size_t n = toks.size();
  for (size_t i = 0; i < n; ++i) {
    if (isComment(i) || !isDeclKeyword(kind(i)))
      continue;
    Decl d{i, i + 1, i + 2, i, false};
    size_t end = i + 1;
    while (end < n && !(isDeclKeyword(kind(end)) && !isComment(end)))
      ++end;
    bool oneLine = true;
    size_t last = i;
    for (size_t j = i + 1; j < end; ++j) {
      if (breaks[j] != 0)
        break;
      if (multiLineComment(j))
        oneLine = false;
      last = j;
    }
    // Code after the first line: not one line.
    for (size_t j = last + 1; j < end; ++j)
      if (!isComment(j))
        oneLine = false;
    d.lastOnLine = last;
    if (oneLine && d.mark < end && !isComment(d.name) && !isComment(d.mark)) {
      if (kind(i) == K::Object)
        d.alignable = kind(d.mark) == K::Eq;
      else if (kind(i) == K::Morphism || kind(i) == K::Law)
        d.alignable = kind(d.mark) == K::Colon;
    }
    decls.push_back(d);
  }
  // Runs: alignable declarations of the same kind on consecutive lines.
  for (size_t a = 0; a < decls.size();) {
    size_t b = a + 1;
    if (decls[a].alignable)
      while (b < decls.size() && decls[b].alignable &&
             kind(decls[b].keyword) == kind(decls[a].keyword) &&
             decls[b - 1].lastOnLine + 1 == decls[b].keyword && breaks[decls[b].keyword] == 1)
        ++b;
    if (decls[a].alignable && b - a > 1) {
      unsigned widest = 0;
      for (size_t d = a; d < b; ++d)
        widest = std::max(widest, width(textOf(decls[d].name)));
      for (size_t d = a; d < b; ++d)
        pad[decls[d].mark] = widest - width(textOf(decls[d].name));
    }
    a = b;
  }
}

void Formatter::computeAlignment() {
  // A pairing written over several lines gets a space inside its angle
  // brackets, `< f,\n    g >`, which sets it apart from the pairings nested
  // in it (as stdlib/std/attention.cat does).
  spacious.assign(toks.size(), false);
  std::vector<size_t> open;
  for (size_t i = 0; i < toks.size(); ++i) {
    if (isComment(i))
      continue;
    if (isDeclKeyword(kind(i)))
      open.clear();
    if (isOpener(kind(i))) {
      open.push_back(i);
    } else if (isCloser(kind(i)) && !open.empty()) {
      size_t o = open.back();
      open.pop_back();
      if (kind(o) != K::LAngle || kind(i) != K::RAngle)
        continue;
      for (size_t j = o + 1; j <= i && !spacious[o]; ++j)
        if (breaks[j] != 0 || multiLineComment(j))
          spacious[o] = spacious[i] = true;
    }
  }
  pad.assign(toks.size(), 0);
  alignTrainBlocks();
  alignDeclarations();
}

/// Spaces between two tokens on one line (before any alignment padding).
unsigned spacing(K a, K b, bool aComment, bool bComment) {
  bool noAfter = !aComment && (a == K::LParen || a == K::LBrack || a == K::LAngle ||
                               a == K::Dot || a == K::Caret || a == K::Minus);
  bool noBefore = !bComment && (b == K::RParen || b == K::RBrack || b == K::RAngle ||
                                b == K::Comma || b == K::Dot || b == K::Caret);
  if (noAfter || noBefore || (a == K::LBrace && b == K::RBrace && !aComment && !bComment))
    return 0;
  if (aComment || bComment)
    return 1;
  // A call or generic instance: `dense[A, B]`, `scale(0.5)`, `R[4]`, `id[A]`.
  if ((b == K::LParen || b == K::LBrack) &&
      (a == K::Ident || a == K::Real || a == K::Fin || a == K::Id || a == K::RBrack))
    return 0;
  return 1;
}

std::string Formatter::render() {
  struct Bracket {
    K kind;
    size_t token;
    unsigned lineIndent; ///< the indentation of the line the bracket is on
    int align;           ///< the column of its first element; -1: not yet known
  };
  std::vector<Bracket> stack;
  std::string out;
  unsigned col = 0, lineIndent = 0;
  size_t prevCode = npos;
  bool lineHasCode = false;

  auto resolve = [&](Bracket &top, bool sameLine) {
    if (top.align < 0)
      top.align = sameLine ? static_cast<int>(col) : static_cast<int>(top.lineIndent) + 2;
  };
  // The indentation of a line that starts with token \p i (or, for a
  // comment, with the code token \p next that it precedes).
  auto indentFor = [&](size_t i) -> unsigned {
    bool comment = isComment(i);
    size_t next = comment ? nextCode(i) : i;
    if (next == npos || isDeclKeyword(kind(next)))
      return 0;
    if (stack.empty())
      return 2; // the continuation of a declaration
    Bracket &top = stack.back();
    resolve(top, false);
    unsigned align = static_cast<unsigned>(top.align);
    K k = kind(next);
    if (isCloser(k))
      return comment ? align : top.lineIndent;
    if (top.kind == K::LBrace)
      return entryKey[next] ? align : align + 2;
    bool elementStart = prevCode != npos && (kind(prevCode) == K::Comma || prevCode == top.token);
    return elementStart ? align : align + 2;
  };

  for (size_t i = 0; i < toks.size(); ++i) {
    bool comment = isComment(i);
    K k = kind(i);
    if (i > 0 && breaks[i] > 0) {
      out.append(breaks[i], '\n');
      if (!comment && isDeclKeyword(k))
        stack.clear();
      lineIndent = indentFor(i);
      out.append(lineIndent, ' ');
      col = lineIndent;
      lineHasCode = false;
    } else if (i > 0) {
      bool trailing = comment && (i + 1 == toks.size() || breaks[i + 1] > 0);
      unsigned spaces = spacing(kind(i - 1), k, isComment(i - 1), comment) + pad[i];
      if ((spacious[i - 1] && kind(i - 1) == K::LAngle) || (spacious[i] && k == K::RAngle))
        spaces = 1;
      if (trailing && lineHasCode)
        spaces = std::max(col + 1, origCol[i]) - col;
      out.append(spaces, ' ');
      col += spaces;
    }
    if (!comment) {
      if (!stack.empty())
        resolve(stack.back(), true);
      lineHasCode = true;
    }
    StringRef t = textOf(i);
    if (k == K::LineComment)
      t = t.rtrim(" \t\f\v");
    out += t;
    if (size_t nl = t.rfind('\n'); nl != StringRef::npos)
      col = width(t.drop_front(nl + 1));
    else
      col += width(t);
    if (comment)
      continue;
    if (isOpener(k))
      stack.push_back({k, i, lineIndent, -1});
    else if (isCloser(k) && !stack.empty())
      stack.pop_back();
    prevCode = i;
  }
  if (!out.empty())
    out += '\n';
  return out;
}

std::string Formatter::run() {
  computeBreaks();
  computeAlignment();
  return render();
}

} // namespace

std::string format::formatText(StringRef text) { return Formatter(text, lexTokens(text)).run(); }

std::string format::formatTokens(StringRef text, std::vector<Token> tokens) {
  return Formatter(text, std::move(tokens)).run();
}

std::optional<std::string> format::formatBuffer(unsigned bufferId, DiagnosticEngine &diags) {
  unsigned before = diags.errorCount();
  parseSourceFile(bufferId, diags);
  if (diags.errorCount() != before)
    return std::nullopt;
  StringRef text = diags.getSourceMgr().getMemoryBuffer(bufferId)->getBuffer();
  return formatText(text);
}
