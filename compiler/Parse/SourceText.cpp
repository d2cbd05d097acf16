//===- SourceText.cpp - UTF-8 decoding and locations for ANTLR ------------===//
//
// ANTLR's own UTF-8 loading throws on invalid input and only reports
// line/column in code points. SourceText decodes the buffer itself, maps
// every code point back to its byte offset (so a token becomes an exact
// SMLoc/SMRange, whatever characters precede it on the line) and replaces
// invalid bytes by U+FFFD so that garbage input lexes instead of throwing.
// The SyntaxReporter that counts and limits parse errors lives here too.
//
//===----------------------------------------------------------------------===//
#include "ParseSupport.h"

using namespace cat;
using namespace cat::parse;

std::optional<char32_t> parse::decodeUtf8(llvm::StringRef bytes, unsigned &length) {
  auto byteAt = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  unsigned char lead = byteAt(0);
  if (lead < 0x80) {
    length = 1;
    return lead;
  }
  unsigned extra;
  char32_t cp, min;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (bytes.size() <= extra)
    return std::nullopt;
  for (unsigned i = 1; i <= extra; ++i) {
    if ((byteAt(i) & 0xC0) != 0x80)
      return std::nullopt;
    cp = (cp << 6) | (byteAt(i) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid.
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return std::nullopt;
  length = extra + 1;
  return cp;
}

SourceText::SourceText(llvm::StringRef buffer) : bytes(buffer) {
  _data.reserve(buffer.size());
  byteOffsets.reserve(buffer.size() + 1);
  for (size_t offset = 0; offset < buffer.size();) {
    unsigned length = 1;
    std::optional<char32_t> cp = decodeUtf8(buffer.drop_front(offset), length);
    _data.push_back(cp ? *cp : U'\uFFFD');
    byteOffsets.push_back(static_cast<uint32_t>(offset));
    offset += cp ? length : 1;
  }
  byteOffsets.push_back(static_cast<uint32_t>(buffer.size()));
  p = 0;
}

llvm::SMLoc SourceText::locOf(size_t index) const {
  if (index >= byteOffsets.size())
    index = byteOffsets.size() - 1;
  return llvm::SMLoc::getFromPointer(bytes.data() + byteOffsets[index]);
}

llvm::SMLoc SourceText::startOf(const antlr4::Token *t) const {
  // The EOF token's start index is past the input; locOf clamps it.
  return locOf(t->getStartIndex());
}

llvm::SMLoc SourceText::endOf(const antlr4::Token *t) const {
  size_t start = t->getStartIndex(), stop = t->getStopIndex();
  // Empty tokens (EOF, tokens conjured by error recovery) have stop < start.
  if (stop == INVALID_INDEX || stop + 1 <= start)
    return locOf(start);
  return locOf(stop + 1);
}

llvm::SMRange SourceText::rangeOf(const antlr4::Token *t) const {
  return llvm::SMRange(startOf(t), endOf(t));
}

llvm::SMRange SourceText::rangeOf(antlr4::ParserRuleContext *ctx) const {
  if (!ctx || !ctx->getStart())
    return {};
  llvm::SMLoc start = startOf(ctx->getStart());
  const antlr4::Token *stop = ctx->getStop();
  if (!stop || stop->getTokenIndex() < ctx->getStart()->getTokenIndex())
    return llvm::SMRange(start, start);
  return llvm::SMRange(start, endOf(stop));
}

llvm::StringRef SourceText::textOf(const antlr4::Token *t) const {
  const char *start = startOf(t).getPointer();
  return llvm::StringRef(start, endOf(t).getPointer() - start);
}

void SyntaxReporter::report(llvm::SMLoc loc, diag::Kind kind,
                            llvm::StringRef arg, llvm::SMRange range) {
  if (numReported >= kMaxErrors)
    throw TooManySyntaxErrors();
  ++numReported;
  {
    DiagnosticBuilder builder = diags.report(loc, kind);
    if (std::string(diag::templateOf(kind)).find("%0") != std::string::npos)
      builder << arg;
    if (range.isValid() && range.Start != range.End)
      builder << range;
  }
  if (numReported == kMaxErrors) {
    diags.report(loc, diag::note_too_many_errors);
    throw TooManySyntaxErrors();
  }
}
