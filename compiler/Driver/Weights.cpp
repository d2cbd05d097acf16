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

#include "AD/Graph.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

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
  std::string dtype; ///< F32, or in an int8 file I8 and I32
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
  /// Whether the file holds int8 weights (written by `quantize`).
  bool isQuantized() const { return quantized; }

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
  /// The int8 layers of an int8 file, paired with the dense products of
  /// \p inst's forward map, into out.int8, and the dequantized values of
  /// their tensors into out.bits.
  bool readInt8(const MorphismInstance &inst, const ir::ParamLayout &layout, BakedWeights &out);
  /// The tensor \p name of dtype \p dtype and shape [\p count] that the
  /// int8 weight \p weight needs, or null after an error.
  const Entry *side(const std::string &weight, StringRef suffix, StringRef dtype, int64_t count);
  bool isSideTensor(const std::string &name) const;
  int32_t i32At(const Entry &e, int64_t i) const {
    return static_cast<int32_t>(support::endian::read32le(data.data() + e.begin + 4 * i));
  }
  float f32At(const Entry &e, int64_t i) const { return bit_cast<float>(support::endian::read32le(data.data() + e.begin + 4 * i)); }

  std::string path;
  DiagnosticEngine &diags;
  std::unique_ptr<MemoryBuffer> file;
  StringRef data; ///< the data section
  std::optional<json::Value> header;
  std::map<std::string, Entry> entries; ///< by name: ordered, for stable messages
  bool quantized = false;
};

/// The tensors `quantize` writes beside an int8 weight W, as W + suffix.
const char *const kSideSuffixes[] = {".scale",       ".multiplier",   ".shift",       ".input_range", ".input_scale",
                                     ".input_zero", ".output_range", ".output_scale", ".output_zero"};
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
  uint64_t width = *dtype == "F32" ? 4 : !quantized ? 0 : *dtype == "I32" ? 4 : *dtype == "I8" ? 1 : 0;
  if (!width) {
    diags.report(SMLoc(), quantized ? diag::err_weights_int8_dtype : diag::err_weights_dtype)
        << path << name << *dtype;
    return false;
  }
  out.name = name.str();
  out.dtype = dtype->str();
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
  uint64_t needed = SaturatingMultiply(elements, width);
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
  // Known before any tensor is read: whether I8 and I32 tensors belong.
  if (const json::Object *meta = object.getObject("__metadata__"))
    quantized = meta->get("quantization") != nullptr;
  for (const std::string &name : names) {
    const json::Value &value = *object.get(name);
    if (name == "__metadata__") {
      if (!value.getAsObject())
        return badEntry(name, "it is not an object");
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
    if (!byName.count(name) && !isTrainingState(name) && !isSideTensor(name))
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
    const Entry &e = entries.at(p.name);
    if (e.dtype != "F32")
      continue; // readInt8's
    for (int64_t j = 0; j < p.size; ++j)
      out.bits[p.offset + j] = static_cast<uint32_t>(i32At(e, j));
  }
  return !quantized || readInt8(inst, layout, out);
}

bool Reader::isSideTensor(const std::string &name) const {
  for (const char *suffix : kSideSuffixes) {
    StringRef n(name);
    if (!n.consume_back(suffix))
      continue;
    auto it = entries.find(n.str());
    if (it != entries.end() && it->second.dtype != "F32")
      return true; // an int8 layer's, or one that readInt8 reports

  }
  return false;
}

const Entry *Reader::side(const std::string &weight, StringRef suffix, StringRef dtype, int64_t count) {
  auto it = entries.find(weight + suffix.str());
  if (it == entries.end() || it->second.dtype != dtype || it->second.shape != std::vector<int64_t>{count}) {
    diags.report(SMLoc(), diag::err_weights_int8_side)
        << path << weight << weight + suffix.str() << dtype << shapeText({count});
    return nullptr;
  }
  return &it->second;
}

bool Reader::readInt8(const MorphismInstance &inst, const ir::ParamLayout &layout, BakedWeights &out) {
  // The dense products as the code generator will see them: `linear` with
  // the bias the AD phase fused into it.
  ir::ParamLayout own;
  ir::Function fn = ir::lowerMorphism(inst, own);
  ad::Graph g = ad::buildGraph(ad::FunctionKind::Forward, fn, nullptr, own, false);
  std::map<int64_t, const ir::ParamTensor *> byOffset;
  for (const ir::ParamTensor &p : layout.tensors)
    byOffset[p.offset] = &p;
  auto tensorOf = [&](const ad::KArg &a) -> const ir::ParamTensor * {
    auto it = a.kind == ad::KArg::Kind::Param ? byOffset.find(a.offset) : byOffset.end();
    return it == byOffset.end() ? nullptr : it->second;
  };
  unsigned errors = diags.errorCount();
  std::set<std::string> paired;
  auto valueError = [&](const std::string &name, const std::string &value, const char *range) {
    diags.report(SMLoc(), diag::err_weights_int8_value) << path << name << value << range;
  };
  for (const ad::KernelCall &call : g.calls) {
    if (call.kernel != "cat_k_linear_fwd")
      continue;
    // (W, bias, x, y, rows, m, k, act, scratch, tile): catk.h.
    const ir::ParamTensor *w = tensorOf(call.args[0]), *bias = tensorOf(call.args[1]);
    if (!w || entries.at(w->name).dtype != "I8" || paired.count(w->name))
      continue; // a float layer, or a weight met before: the same int8 layer
    int64_t m = call.args[5].offset, k = call.args[6].offset;
    if (w->size != m * k || (bias && bias->size != m))
      continue; // not a [m, k] matrix and [m] bias: reported below
    paired.insert(w->name);

    const Entry &bEntry = bias ? entries.at(bias->name) : entries.at(w->name);
    if (bias && bEntry.dtype != "I32") {
      diags.report(SMLoc(), diag::err_weights_int8_bias) << path << bias->name << w->name << bEntry.dtype;
      continue;
    }
    if (bias)
      paired.insert(bias->name);
    const Entry *scale = side(w->name, ".scale", "F32", m), *mult = side(w->name, ".multiplier", "I32", m),
                *shift = side(w->name, ".shift", "I32", m), *inScale = side(w->name, ".input_scale", "F32", 1),
                *inZero = side(w->name, ".input_zero", "I32", 1), *outScale = side(w->name, ".output_scale", "F32", 1),
                *outZero = side(w->name, ".output_zero", "I32", 1);
    if (!scale || !mult || !shift || !inScale || !inZero || !outScale || !outZero)
      continue;
    QuantizedLayer q;
    q.weightOffset = w->offset;
    q.inputScale = f32At(*inScale, 0);
    q.outputScale = f32At(*outScale, 0);
    q.inputZero = i32At(*inZero, 0);
    q.outputZero = i32At(*outZero, 0);
    for (const Entry *e : {inScale, outScale})
      if (!(f32At(*e, 0) > 0) || !std::isfinite(f32At(*e, 0)))
        valueError(e->name, fmt::format("{}", f32At(*e, 0)), "the positive finite floats");
    for (const Entry *e : {inZero, outZero})
      if (i32At(*e, 0) < -128 || i32At(*e, 0) > 127)
        valueError(e->name, fmt::format("{}", i32At(*e, 0)), "[-128, 127]");
    const char *wq = data.data() + entries.at(w->name).begin;
    q.weights.assign(wq, wq + m * k);
    for (int64_t j = 0; j < m; ++j) {
      float sw = f32At(*scale, j);
      int32_t mj = i32At(*mult, j), sj = i32At(*shift, j);
      if (!(sw > 0) || !std::isfinite(sw))
        valueError(scale->name, fmt::format("{}", sw), "the positive finite floats");
      if (mj != 0 && (mj < (1 << 30)))
        valueError(mult->name, fmt::format("{}", mj), "0 and [2^30, 2^31)");
      if (sj < -31 || sj > 30)
        valueError(shift->name, fmt::format("{}", sj), "[-31, 30]");
      q.multiplier.push_back(mj);
      q.shift.push_back(sj);
      for (int64_t l = 0; l < k; ++l)
        out.bits[w->offset + j * k + l] = bit_cast<uint32_t>(static_cast<float>(q.weights[j * k + l]) * sw);
      if (bias) {
        q.bias.push_back(i32At(bEntry, j));
        double real = static_cast<double>(q.bias.back()) * q.inputScale * sw;
        out.bits[bias->offset + j] = bit_cast<uint32_t>(static_cast<float>(real));
      }
    }
    out.int8.push_back(std::move(q));
  }
  for (const ir::ParamTensor &p : layout.tensors) {
    const std::string &dtype = entries.at(p.name).dtype;
    if (dtype != "F32" && !paired.count(p.name))
      diags.report(SMLoc(), diag::err_weights_int8_not_dense) << path << p.name << dtype << inst.name;
  }
  return diags.errorCount() == errors;
}

std::vector<std::string> floatKernels(const Program &program, const BakedWeights &weights) {
  ir::ParamLayout layout;
  ir::Function fn = ir::lowerMorphism(*weights.morphism, layout);
  ad::Graph g = ad::buildGraph(ad::FunctionKind::Forward, fn, nullptr, layout, false);
  std::vector<std::string> names;
  for (const ad::KernelCall &call : g.calls) {
    if (weights.int8Layer(call))
      continue;
    StringRef name(call.kernel);
    name.consume_front("cat_k_");
    name.consume_back("_fwd");
    if (name.starts_with("copy") || name.starts_with("zero") || name.starts_with("fill"))
      continue;
    if (!llvm::is_contained(names, name.str()))
      names.push_back(name.str());
  }
  return names;
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
