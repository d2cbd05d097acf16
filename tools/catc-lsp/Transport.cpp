//===- Transport.cpp - JSON-RPC messages over stdio -----------------------===//
#include "Transport.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <poll.h>
#include <unistd.h>

namespace cat::lsp {

namespace {
/// One line without its line ending; nullopt at the end of the input.
std::optional<std::string> readLine(std::FILE *in) {
  std::string line;
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n')
    line += static_cast<char>(c);
  if (c == EOF && line.empty())
    return std::nullopt;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}
} // namespace

/// Messages larger than this are refused: a broken client, not an edit.
constexpr size_t kMaxMessage = size_t(1) << 30;

std::optional<std::string> Transport::read() {
  if (litTest) {
    std::string message;
    while (std::optional<std::string> line = readLine(in)) {
      if (*line == "---") {
        if (message.find_first_not_of(" \t\n") != std::string::npos)
          return message;
        message.clear();
        continue;
      }
      if (line->rfind("#", 0) == 0) // a comment of the test
        continue;
      message += *line + "\n";
    }
    if (message.find_first_not_of(" \t\n") != std::string::npos)
      return message;
    return std::nullopt;
  }
  size_t length = 0;
  bool haveLength = false;
  while (std::optional<std::string> line = readLine(in)) {
    if (line->empty()) {
      if (!haveLength) {
        llvm::errs() << "catc-lsp: a message without Content-Length\n";
        return std::nullopt;
      }
      if (length > kMaxMessage) {
        llvm::errs() << "catc-lsp: a message of " << length << " bytes is too large\n";
        return std::nullopt;
      }
      std::string body(length, '\0');
      if (std::fread(body.data(), 1, length, in) != length) {
        llvm::errs() << "catc-lsp: the input ended inside a message\n";
        return std::nullopt;
      }
      return body;
    }
    llvm::StringRef header(*line);
    if (header.consume_front_insensitive("Content-Length:")) {
      unsigned long long value;
      if (header.trim().getAsInteger(10, value)) {
        llvm::errs() << "catc-lsp: malformed header '" << *line << "'\n";
        return std::nullopt;
      }
      length = value;
      haveLength = true;
    }
  }
  return std::nullopt;
}

bool Transport::inputPending() const {
  if (litTest)
    return false;
  // Only the descriptor is asked: a message already in stdio's buffer is
  // missed, which analyses a little early, never late.
  pollfd fd{fileno(in), POLLIN, 0};
  return poll(&fd, 1, 0) > 0 && (fd.revents & POLLIN);
}

void Transport::write(const llvm::json::Value &message) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (litTest)
    os << llvm::formatv("{0:2}", message);
  else
    os << message;
  os.flush();
  if (litTest)
    std::fprintf(out, "%s\n", text.c_str());
  else
    std::fprintf(out, "Content-Length: %zu\r\n\r\n%s", text.size(), text.c_str());
  std::fflush(out);
}

} // namespace cat::lsp
