//===- Weights.cpp - Reading trained weights at compile time -------------===//
//
// The checkpoints that executables write (runtime/checkpoint.c) are
// safetensors files: an 8-byte little-endian header length, a JSON header
// naming every tensor ({"dtype", "shape", "data_offsets"} relative to the
// data section) plus string metadata (`module`, `morphism`, `layout_hash`,
// `classes`, `epoch`, …), then the raw little-endian data. This reader
// trusts nothing in the file, as the runtime's does: each length, range and
// shape is checked before a byte is read, and every problem is a diagnostic
// naming the file, never a crash. A checkpoint written for another model is
// recognised by its layout hash; the weights of the model's parameters are
// then copied, bit for bit, in the order of its parameter layout.
//
//===----------------------------------------------------------------------===//
#include "Driver/Weights.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

namespace cat {

using namespace llvm;

/// The two tensors a checkpoint may hold beyond the parameters: the
/// optimizer's state and early stopping's best snapshot.
static bool isTrainingState(StringRef name) {
  return name == "__optimizer__.state" || name == "__best__.state";
}

static std::string shapeText(ArrayRef<int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

const MorphismInstance *weightsMorphism(const Program &program) {
  if (program.train)
    return program.train->model;
  return program.exported.empty() ? nullptr : program.exported.back();
}

namespace {
/// One tensor of the header, its form checked.
struct Entry {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0; ///< bytes of the data section
};

class Reader {
public:
  Reader(StringRef path, DiagnosticEngine &diags) : path(path.str()), diags(diags) {}

  /// The file's contents \p buffer, its header length and its JSON header.
  bool readHeader(std::unique_ptr<MemoryBuffer> buffer);
  /// Every tensor's dtype, shape and byte range; no overlaps; the data
  /// section ends where the last tensor does.
  bool readEntries();
  /// Layout hash, presence and shape of every parameter; fills \p out.
  bool checkModel(const Program &program, const MorphismInstance &inst, BakedWeights &out);

private:
  bool readEntry(StringRef name, const json::Value &value, Entry &out);
  bool badEntry(StringRef name, StringRef problem) {
    diags.report(SMLoc(), diag::err_weights_bad_entry) << path << name << problem;
    return false;
  }
  /// The string metadata \p key; nullopt when absent, an error (and
  /// `failed`) when it is not a string.
  std::optional<std::string> metadata(StringRef key, bool &failed);
  bool readClasses(const std::string &text, std::vector<std::string> &out);

  std::string path;
  DiagnosticEngine &diags;
  std::unique_ptr<MemoryBuffer> file;
  StringRef data; ///< the data section
  std::optional<json::Value> header;
  std::map<std::string, Entry> entries; ///< by name: ordered, for stable messages
};
} // namespace

/// Arrays and objects nested deeper than this are refused before parsing:
/// the JSON parser recurses once per level (a safetensors header has 3).
constexpr unsigned kMaxNesting = 64;

/// The deepest nesting of arrays and objects in \p text, outside strings.
static unsigned nestingDepth(StringRef text) {
  unsigned depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

/// "an array", "a number", …: what a JSON value is, for messages.
static std::string kindName(const json::Value &v) {
  switch (v.kind()) {
  case json::Value::Null: return "null";
  case json::Value::Boolean: return "a boolean";
  case json::Value::Number: return "a number";
  case json::Value::String: return "a string";
  case json::Value::Array: return "an array";
  case json::Value::Object: return "an object";
  }
  return "unknown";
}

bool Reader::readHeader(std::unique_ptr<MemoryBuffer> buffer) {
  file = std::move(buffer);
  StringRef bytes = file->getBuffer();
  if (bytes.size() < 8) {
    diags.report(SMLoc(), diag::err_weights_too_short) << path << uint64_t(bytes.size());
    return false;
  }
  uint64_t headerLength = support::endian::read64le(bytes.data());
  if (headerLength > bytes.size() - 8) {
    diags.report(SMLoc(), diag::err_weights_header_past_end)
        << path << headerLength << uint64_t(bytes.size());
    return false;
  }
  data = bytes.drop_front(8 + headerLength);
  StringRef text = bytes.substr(8, headerLength);
  if (nestingDepth(text) > kMaxNesting) {
    diags.report(SMLoc(), diag::err_weights_bad_header)
        << path << fmt::format("it nests deeper than {} levels", kMaxNesting);
    return false;
  }
  Expected<json::Value> parsed = json::parse(text);
  if (!parsed) {
    diags.report(SMLoc(), diag::err_weights_bad_header)
        << path << "invalid JSON: " + toString(parsed.takeError());
    return false;
  }
  if (!parsed->getAsObject()) {
    diags.report(SMLoc(), diag::err_weights_bad_header) << path << "it is " + kindName(*parsed);
    return false;
  }
  header = std::move(*parsed);
  return true;
}

/// A JSON integer that is at least 0 (an integral double counts).
static std::optional<int64_t> nonNegative(const json::Value &v) {
  std::optional<int64_t> i = v.getAsInteger();
  if (!i || *i < 0)
    return std::nullopt;
  return i;
}

bool Reader::readEntry(StringRef name, const json::Value &value, Entry &out) {
  const json::Object *tensor = value.getAsObject();
  if (!tensor)
    return badEntry(name, "it is not an object");
  std::optional<StringRef> dtype = tensor->getString("dtype");
  if (!dtype)
    return badEntry(name, "'dtype' is missing or not a string");
  if (*dtype != "F32") {
    diags.report(SMLoc(), diag::err_weights_dtype) << path << name << *dtype;
    return false;
  }
  out.name = name.str();
  const json::Array *shape = tensor->getArray("shape");
  if (!shape)
    return badEntry(name, "'shape' is missing or not an array");
  uint64_t elements = 1;
  for (const json::Value &d : *shape) {
    std::optional<int64_t> dim = nonNegative(d);
    if (!dim)
      return badEntry(name, "'shape' holds something other than a non-negative integer");
    out.shape.push_back(*dim);
    elements = SaturatingMultiply(elements, uint64_t(*dim));
  }
  const json::Array *offsets = tensor->getArray("data_offsets");
  std::optional<int64_t> begin, end;
  if (offsets && offsets->size() == 2) {
    begin = nonNegative((*offsets)[0]);
    end = nonNegative((*offsets)[1]);
  }
  if (!begin || !end)
    return badEntry(name, "'data_offsets' is not a pair of non-negative integers");
  if (*begin > *end || uint64_t(*end) > data.size()) {
    diags.report(SMLoc(), diag::err_weights_offsets)
        << path << name << *begin << *end << uint64_t(data.size());
    return false;
  }
  out.begin = uint64_t(*begin);
  out.end = uint64_t(*end);
  uint64_t needed = SaturatingMultiply(elements, uint64_t(4));
  if (out.end - out.begin != needed) {
    diags.report(SMLoc(), diag::err_weights_data_size)
        << path << name << (out.end - out.begin) << shapeText(out.shape) << needed;
    return false;
  }
  return true;
}

bool Reader::readEntries() {
  const json::Object &object = *header->getAsObject();
  // Sorted names: the first problem reported does not depend on hashing.
  std::vector<std::string> names;
  for (const auto &kv : object)
    names.push_back(kv.first.str());
  llvm::sort(names);
  for (const std::string &name : names) {
    const json::Value &value = *object.get(name);
    if (name == "__metadata__") {
      if (!value.getAsObject())
        return badEntry(name, "it is not an object");
      // Before its I8 tensors: what the file is says more than their dtype.
      if (value.getAsObject()->get("quantization")) {
        diags.report(SMLoc(), diag::err_weights_quantized) << path;
        return false;
      }
      continue;
    }
    Entry entry;
    if (!readEntry(name, value, entry))
      return false;
    entries.emplace(name, std::move(entry));
  }
  // No two tensors share a byte, and the data section ends with the last.
  std::vector<const Entry *> byBegin;
  for (const auto &[name, entry] : entries)
    if (entry.end > entry.begin)
      byBegin.push_back(&entry);
  llvm::stable_sort(byBegin, [](const Entry *a, const Entry *b) { return a->begin < b->begin; });
  const Entry *furthest = nullptr;
  for (const Entry *e : byBegin) {
    if (furthest && e->begin < furthest->end) {
      diags.report(SMLoc(), diag::err_weights_overlap) << path << furthest->name << e->name;
      return false;
    }
    if (!furthest || e->end > furthest->end)
      furthest = e;
  }
  uint64_t used = furthest ? furthest->end : 0;
  if (used != data.size()) {
    diags.report(SMLoc(), diag::err_weights_trailing) << path << uint64_t(data.size()) << used;
    return false;
  }
  return true;
}

std::optional<std::string> Reader::metadata(StringRef key, bool &failed) {
  const json::Object *meta = header->getAsObject()->getObject("__metadata__");
  const json::Value *value = meta ? meta->get(key) : nullptr;
  if (!value)
    return std::nullopt;
  if (std::optional<StringRef> text = value->getAsString())
    return text->str();
  badEntry("__metadata__", ("'" + key + "' is not a string").str());
  failed = true;
  return std::nullopt;
}

bool Reader::readClasses(const std::string &text, std::vector<std::string> &out) {
  // An array of strings nests one level deep; anything deeper is refused
  // unparsed, as the parser (and the value's destructor) recurse once per
  // level: a string of 200,000 '[' overflowed the stack.
  if (nestingDepth(text) > 1) {
    diags.report(SMLoc(), diag::err_weights_classes) << path;
    return false;
  }
  Expected<json::Value> list = json::parse(text);
  const json::Array *array = list ? list->getAsArray() : nullptr;
  if (!list)
    consumeError(list.takeError());
  bool ok = array != nullptr;
  for (size_t i = 0; ok && i < array->size(); ++i) {
    std::optional<StringRef> name = (*array)[i].getAsString();
    ok = name.has_value();
    if (ok)
      out.push_back(name->str());
  }
  if (!ok)
    diags.report(SMLoc(), diag::err_weights_classes) << path;
  return ok;
}

bool Reader::checkModel(const Program &program, const MorphismInstance &inst, BakedWeights &out) {
  ir::ParamLayout layout = parameterLayout(program, inst);
  bool failed = false;
  std::optional<std::string> hash = metadata("layout_hash", failed);
  std::optional<std::string> module = metadata("module", failed);
  std::optional<std::string> morphism = metadata("morphism", failed);
  std::optional<std::string> classes = metadata("classes", failed);
  std::optional<std::string> epoch = metadata("epoch", failed);
  if (failed)
    return false;
  // The hash first: weights of another model would otherwise be reported
  // as a list of missing tensors.
  std::string expected = fmt::format("{:016x}", layout.hash());
  if (!hash) {
    diags.report(SMLoc(), diag::warn_weights_no_layout_hash) << path;
  } else if (*hash != expected) {
    diags.report(SMLoc(), diag::err_weights_layout_hash)
        << path << *hash << inst.name << program.prefix << expected;
    if (module && morphism)
      diags.report(SMLoc(), diag::note_weights_written_by) << path << *morphism << *module;
    return false;
  }
  unsigned errors = diags.errorCount();
  for (const ir::ParamTensor &p : layout.tensors) {
    auto it = entries.find(p.name);
    if (it == entries.end())
      diags.report(SMLoc(), diag::err_weights_missing_tensor) << path << p.name << inst.name;
    else if (it->second.shape != p.shape.shape)
      diags.report(SMLoc(), diag::err_weights_shape)
          << path << p.name << shapeText(it->second.shape) << inst.name << shapeText(p.shape.shape);
  }
  std::map<std::string, const ir::ParamTensor *> byName;
  for (const ir::ParamTensor &p : layout.tensors)
    byName[p.name] = &p;
  for (const auto &[name, entry] : entries)
    if (!byName.count(name) && !isTrainingState(name))
      diags.report(SMLoc(), diag::err_weights_unknown_tensor) << path << name << inst.name;
  if (diags.errorCount() != errors)
    return false;
  if (classes && !readClasses(*classes, out.classes))
    return false;
  out.morphism = &inst;
  out.file = sys::path::filename(path).str();
  out.layoutHash = layout.hash();
  if (epoch && !epoch->empty() && llvm::all_of(*epoch, isDigit) && epoch->size() < 19)
    out.epoch = std::stoll(*epoch);
  out.bits.assign(static_cast<size_t>(layout.totalFloats), 0);
  for (const ir::ParamTensor &p : layout.tensors) {
    const char *at = data.data() + entries.at(p.name).begin;
    for (int64_t j = 0; j < p.size; ++j)
      out.bits[p.offset + j] = support::endian::read32le(at + 4 * j);
  }
  return true;
}

std::unique_ptr<BakedWeights> readWeights(std::unique_ptr<MemoryBuffer> contents, StringRef path,
                                          const Program &program, DiagnosticEngine &diags) {
  const MorphismInstance *inst = weightsMorphism(program);
  if (!inst) {
    diags.report(SMLoc(), diag::err_weights_no_morphism) << program.prefix;
    return nullptr;
  }
  Reader reader(path, diags);
  auto out = std::make_unique<BakedWeights>();
  if (!reader.readHeader(std::move(contents)) || !reader.readEntries() ||
      !reader.checkModel(program, *inst, *out))
    return nullptr;
  return out;
}

std::unique_ptr<BakedWeights> readWeights(StringRef path, const Program &program,
                                          DiagnosticEngine &diags) {
  // Without a morphism the file is not read at all.
  if (!weightsMorphism(program)) {
    diags.report(SMLoc(), diag::err_weights_no_morphism) << program.prefix;
    return nullptr;
  }
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer) {
    diags.report(SMLoc(), diag::err_weights_unreadable) << path << buffer.getError().message();
    return nullptr;
  }
  return readWeights(std::move(*buffer), path, program, diags);
}

} // namespace cat
