//===- Server.cpp - The language server's requests and documents ---------===//
#include "Server.h"

#include "Format/Format.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace cat::lsp {

using namespace llvm;
namespace json = llvm::json;

/// JSON-RPC's error codes.
enum : int { kParseError = -32700, kInvalidRequest = -32600, kMethodNotFound = -32601,
             kInvalidParams = -32602 };

int Server::run() {
  while (std::optional<std::string> text = transport.read()) {
    Expected<json::Value> message = json::parse(*text);
    if (!message) {
      std::string why = toString(message.takeError());
      replyError(nullptr, kParseError, "the message is not JSON: " + why);
      continue;
    }
    handle(*message);
    if (exited)
      return shutdown ? 0 : 1;
    // Edits that keep coming are analysed once they stop.
    if (!transport.inputPending())
      analyseStale();
  }
  analyseStale();
  return shutdown ? 0 : 1;
}

void Server::handle(const json::Value &message) {
  const json::Object *object = message.getAsObject();
  std::optional<StringRef> method = object ? object->getString("method") : std::nullopt;
  const json::Value *id = object ? object->get("id") : nullptr;
  if (!method) {
    if (!id) // a response to us, which we never ask for, or garbage
      return;
    replyError(*id, kInvalidRequest, "a request needs a method");
    return;
  }
  const json::Object *params = object->getObject("params");
  if (!id) {
    notify(*method, params ? *params : json::Object());
    return;
  }
  if (shutdown && *method != "exit") {
    replyError(*id, kInvalidRequest, "the server is shutting down");
    return;
  }
  Answer answer = request(*method, params);
  if (answer.errorCode)
    replyError(*id, answer.errorCode, answer.errorMessage);
  else
    reply(*id, std::move(answer.result));
}

Server::Document *Server::document(const json::Object *params) {
  const json::Object *doc = params ? params->getObject("textDocument") : nullptr;
  std::optional<StringRef> uri = doc ? doc->getString("uri") : std::nullopt;
  if (!uri)
    return nullptr;
  auto it = documents.find(uri->str());
  return it == documents.end() ? nullptr : &it->second;
}

void Server::notify(StringRef method, const json::Object &params) {
  const json::Object *doc = params.getObject("textDocument");
  std::string uri = doc && doc->getString("uri") ? doc->getString("uri")->str() : "";
  if (method == "exit") {
    exited = true;
  } else if (method == "textDocument/didOpen" && doc) {
    Document &d = documents[uri];
    d.text = doc->getString("text").value_or("").str();
    d.version = doc->getInteger("version").value_or(0);
    d.stale = true;
  } else if (method == "textDocument/didChange" && documents.count(uri)) {
    Document &d = documents[uri];
    const json::Array *changes = params.getArray("contentChanges");
    for (const json::Value &change : changes ? *changes : json::Array()) {
      const json::Object *c = change.getAsObject();
      if (!c)
        continue;
      std::string inserted = c->getString("text").value_or("").str();
      const json::Object *range = c->getObject("range");
      if (!range) { // the whole text
        d.text = std::move(inserted);
        continue;
      }
      auto pos = [&](StringRef key) {
        const json::Object *p = range->getObject(key);
        return Position{p ? static_cast<int>(p->getInteger("line").value_or(0)) : 0,
                        p ? static_cast<int>(p->getInteger("character").value_or(0)) : 0};
      };
      size_t start = offsetOf(d.text, pos("start")), end = offsetOf(d.text, pos("end"));
      if (end < start)
        std::swap(start, end);
      d.text.replace(start, end - start, inserted);
    }
    if (doc->getInteger("version"))
      d.version = *doc->getInteger("version");
    d.stale = true;
  } else if (method == "textDocument/didSave" && documents.count(uri)) {
    if (std::optional<StringRef> text = params.getString("text"))
      documents[uri].text = text->str();
    documents[uri].stale = true;
  } else if (method == "textDocument/didClose") {
    documents.erase(uri);
    transport.write(json::Object{{"jsonrpc", "2.0"},
                                 {"method", "textDocument/publishDiagnostics"},
                                 {"params", json::Object{{"uri", uri}, {"diagnostics", json::Array()}}}});
  }
  // initialized, $/cancelRequest, $/setTrace, ...: nothing to do.
}

void Server::analyseStale() {
  for (auto &[uri, d] : documents) {
    if (!d.stale)
      continue;
    d.stale = false;
    d.latest = std::make_shared<Analysis>(pathOfURI(uri), d.text, search);
    json::Value params = d.latest->diagnostics(uri);
    params.getAsObject()->try_emplace("version", d.version);
    transport.write(json::Object{{"jsonrpc", "2.0"},
                                 {"method", "textDocument/publishDiagnostics"},
                                 {"params", std::move(params)}});
    if (d.latest->checked())
      d.checked = d.latest;
  }
}

const Analysis *Server::forQueries(Document &doc) {
  if (doc.stale)
    analyseStale();
  if (doc.latest && doc.latest->checked())
    return doc.latest.get();
  return doc.checked ? doc.checked.get() : doc.latest.get();
}

/// The position just past \p text: its line count and the UTF-16 length of
/// its last line.
static json::Object endPosition(StringRef text) {
  size_t lastLine = text.rfind('\n');
  StringRef last = lastLine == StringRef::npos ? text : text.drop_front(lastLine + 1);
  int units = 0;
  for (char c : last) {
    unsigned char byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) != 0x80) // a lead byte: beyond the BMP takes two units
      units += byte >= 0xF0 ? 2 : 1;
  }
  return json::Object{{"line", static_cast<int64_t>(text.count('\n'))}, {"character", units}};
}

/// textDocument/formatting: catc-format's layout of \p text as one edit
/// replacing the lines that change (from the first to the last differing
/// line), or no edit when the text is formatted or does not parse.
static json::Value formattingEdits(const std::string &path, const std::string &text) {
  SourceMgr sourceMgr;
  DiagnosticEngine diags(sourceMgr, nulls());
  unsigned buffer = sourceMgr.AddNewSourceBuffer(MemoryBuffer::getMemBuffer(text, path), SMLoc());
  std::optional<std::string> formatted = format::formatBuffer(buffer, diags);
  if (!formatted || *formatted == text)
    return json::Array();
  // Lines with their newlines; the edit spans the ones in the middle that differ.
  auto lines = [](StringRef s) {
    SmallVector<StringRef> out;
    while (!s.empty()) {
      size_t nl = s.find('\n');
      size_t length = nl == StringRef::npos ? s.size() : nl + 1;
      out.push_back(s.take_front(length));
      s = s.drop_front(length);
    }
    return out;
  };
  SmallVector<StringRef> before = lines(text), after = lines(*formatted);
  size_t prefix = 0;
  while (prefix < before.size() && prefix < after.size() && before[prefix] == after[prefix])
    ++prefix;
  size_t suffix = 0;
  while (suffix < before.size() - prefix && suffix < after.size() - prefix &&
         before[before.size() - 1 - suffix] == after[after.size() - 1 - suffix])
    ++suffix;
  std::string newText;
  for (size_t i = prefix; i < after.size() - suffix; ++i)
    newText += after[i];
  json::Object end;
  if (suffix == 0) {
    end = endPosition(text);
  } else {
    end = json::Object{{"line", static_cast<int64_t>(before.size() - suffix)}, {"character", 0}};
  }
  json::Object range{{"start", json::Object{{"line", static_cast<int64_t>(prefix)}, {"character", 0}}},
                     {"end", std::move(end)}};
  return json::Array{json::Object{{"range", std::move(range)}, {"newText", std::move(newText)}}};
}

Server::Answer Server::request(StringRef method, const json::Object *params) {
  auto error = Answer::failure;
  if (method == "initialize")
    return Answer(json::Object{
        {"capabilities",
         json::Object{{"textDocumentSync",
                       json::Object{{"openClose", true}, {"change", 2}, {"save", json::Object{{"includeText", false}}}}},
                      {"hoverProvider", true},
                      {"completionProvider", json::Object{{"triggerCharacters", json::Array{"="}}}},
                      {"definitionProvider", true},
                      {"referencesProvider", true},
                      {"workspaceSymbolProvider", true},
                      {"documentSymbolProvider", true},
                      {"documentFormattingProvider", true}}},
        {"serverInfo", json::Object{{"name", "catc-lsp"}, {"version", "0.1"}}}});
  if (method == "shutdown") {
    shutdown = true;
    return Answer();
  }
  if (method == "textDocument/hover" || method == "textDocument/definition" ||
      method == "textDocument/documentSymbol" || method == "textDocument/completion" ||
      method == "textDocument/references") {
    Document *doc = document(params);
    if (!doc)
      return error(kInvalidParams, "no such open document");
    const Analysis *a = forQueries(*doc);
    if (method == "textDocument/documentSymbol")
      return Answer(a->documentSymbols());
    const json::Object *p = params->getObject("position");
    if (!p)
      return error(kInvalidParams, "a position is needed");
    Position pos{static_cast<int>(p->getInteger("line").value_or(0)),
                 static_cast<int>(p->getInteger("character").value_or(0))};
    if (method == "textDocument/references") {
      const json::Object *context = params->getObject("context");
      bool declaration = context && context->getBoolean("includeDeclaration").value_or(false);
      return Answer(a->references(pos, declaration));
    }
    if (method == "textDocument/completion")
      return Answer(doc->latest->completion(pos)); // of the text as it is now
    return Answer(method == "textDocument/hover" ? a->hover(pos) : a->definition(pos));
  }
  if (method == "textDocument/formatting") {
    // The layout is catc-format's; the request's options (tab size, ...) do
    // not change it.
    Document *doc = document(params);
    if (!doc)
      return error(kInvalidParams, "no such open document");
    const json::Object *textDocument = params->getObject("textDocument");
    return Answer(formattingEdits(pathOfURI(*textDocument->getString("uri")), doc->text));
  }
  if (method == "workspace/symbol") {
    // The declarations of every open document whose name contains the query.
    std::string query = params ? params->getString("query").value_or("").lower() : "";
    json::Array found;
    for (auto &[uri, doc] : documents) {
      json::Value symbols = forQueries(doc)->documentSymbols();
      for (json::Value &symbol : *symbols.getAsArray()) {
        json::Object &s = *symbol.getAsObject();
        std::string name = s.getString("name").value_or("").str();
        if (StringRef(name).lower().find(query) == std::string::npos)
          continue;
        found.push_back(json::Object{{"name", name},
                                     {"kind", *s.getInteger("kind")},
                                     {"location", json::Object{{"uri", uri}, {"range", *s.get("selectionRange")}}}});
      }
    }
    return Answer(std::move(found));
  }
  return error(kMethodNotFound, ("no method '" + method + "'").str());
}

void Server::reply(const json::Value &id, json::Value result) {
  transport.write(json::Object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

void Server::replyError(const json::Value &id, int code, StringRef message) {
  transport.write(json::Object{
      {"jsonrpc", "2.0"}, {"id", id}, {"error", json::Object{{"code", code}, {"message", message}}}});
}

} // namespace cat::lsp
