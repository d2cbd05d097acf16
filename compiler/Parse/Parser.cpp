//===- Parser.cpp - The parsing pipeline for one buffer -------------------===//
//
// Ties the steps together: decode the buffer (SourceText), lex it once while
// reporting malformed lexemes and refusing absurd nesting (Lexing.cpp), parse
// the tokens with SLL then LL (SyntaxErrors.cpp), and build the AST when the
// parse had no errors (ASTBuilder.cpp). Everything ANTLR stays in this folder.
//
//===----------------------------------------------------------------------===//
#include "Parse/Parser.h"

#include "ParseSupport.h"

using namespace cat;
using namespace cat::parse;

std::unique_ptr<ast::SourceFile> cat::parseSourceFile(unsigned bufferId,
                                                      DiagnosticEngine &diags) {
  auto file = std::make_unique<ast::SourceFile>();
  file->bufferId = bufferId;
  llvm::StringRef buffer = diags.getSourceMgr().getMemoryBuffer(bufferId)->getBuffer();
  if (buffer.size() >= UINT32_MAX) {
    diags.report(llvm::SMLoc::getFromPointer(buffer.data()), diag::err_syntax)
        << "file is too large to parse (4 GB or more)";
    return file;
  }

  SourceText text(buffer);
  SyntaxReporter reporter(diags, text);
  catgrammar::CatLexer lexer(&text);
  lexer.removeErrorListeners(); // every character lexes (INVALID_CHARACTER)
  std::optional<std::vector<std::unique_ptr<antlr4::Token>>> lexed =
      lexAndCheck(lexer, reporter);
  if (!lexed)
    return file;
  unsigned lexicalErrors = reporter.count();

  antlr4::ListTokenSource source(std::move(*lexed));
  antlr4::CommonTokenStream tokens(&source);
  catgrammar::CatParser parser(&tokens);
  parseTokens(parser, tokens, reporter, *file);
  // After a lexical error the parse still runs, to report syntax errors as
  // well, but its AST is not handed on.
  if (lexicalErrors != 0) {
    file->moduleName.reset();
    file->decls.clear();
  }
  return file;
}
