//===- Server.h - The language server's requests and documents --*- C++ -*-===//
//
// Keeps the open documents, analyses a document once its edits have come
// in (not after each keystroke: while more messages are waiting, analysis
// waits too), publishes its diagnostics, and answers requests from the
// last analysis that passed the category checker, so that half-typed text
// still gets hovers.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_LSP_SERVER_H
#define CATC_LSP_SERVER_H

#include "Analysis.h"
#include "Transport.h"

#include <map>

namespace cat::lsp {

class Server {
public:
  Server(Transport &transport, ModuleSearchPath search) : transport(transport), search(std::move(search)) {}

  /// Serves until `exit` or the end of the input; the process's status.
  int run();

private:
  struct Document {
    std::string text;
    int64_t version = 0;
    bool stale = true;                 ///< edited since the last analysis
    std::shared_ptr<Analysis> latest;  ///< of the current text
    std::shared_ptr<Analysis> checked; ///< the last one the checker accepted
  };
  /// A request's answer: a result, or an error code and message.
  struct Answer {
    Answer(llvm::json::Value result = nullptr) : result(std::move(result)) {}
    static Answer failure(int code, llvm::StringRef message) {
      Answer a;
      a.errorCode = code;
      a.errorMessage = message.str();
      return a;
    }
    llvm::json::Value result;
    int errorCode = 0;
    std::string errorMessage;
  };

  void handle(const llvm::json::Value &message);
  void notify(llvm::StringRef method, const llvm::json::Object &params);
  Answer request(llvm::StringRef method, const llvm::json::Object *params);
  void reply(const llvm::json::Value &id, llvm::json::Value result);
  void replyError(const llvm::json::Value &id, int code, llvm::StringRef message);
  /// Analyses every edited document and publishes its diagnostics.
  void analyseStale();
  Document *document(const llvm::json::Object *params);
  /// The analysis a request about a position reads: the current one where
  /// it parsed, else the last checked one.
  const Analysis *forQueries(Document &doc);

  Transport &transport;
  ModuleSearchPath search;
  std::map<std::string, Document> documents;
  bool shutdown = false, exited = false;
};

} // namespace cat::lsp

#endif // CATC_LSP_SERVER_H
