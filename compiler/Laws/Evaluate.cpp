//===- Evaluate.cpp - Forward maps of every primitive, in doubles --------===//
//
// One case per primitive of docs/language.md §5, written from the contract (and
// matching the kernels' conventions where the contract leaves a choice:
// `linear`'s weight is outputs × inputs, `sum`/`mean`/`broadcast` act on the
// leading axis, `softmax` and `layernorm` on the last, `gelu` is the exact
// erf form, `layernorm` uses the biased variance and ε = 1e-5). Composites
// follow the structure of the diagram: `;` threads wires, `*` splits them,
// `<…>` feeds the same wires to every branch, `map` applies its body to
// each of the n slices along the leading axis.
//
//===----------------------------------------------------------------------===//
#include "Laws/Evaluate.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cat::laws {

Wires Evaluator::run(const ir::Node &n, const Wires &in) {
  switch (n.kind) {
  case ir::Node::Kind::Prim:
    return runPrim(n, in);
  case ir::Node::Kind::Seq: {
    Wires cur = in;
    for (const auto &c : n.children)
      cur = run(*c, cur);
    return cur;
  }
  case ir::Node::Kind::Par: {
    Wires out;
    size_t at = 0;
    for (const auto &c : n.children) {
      size_t k = c->numInputs();
      Wires part(in.begin() + static_cast<long>(at), in.begin() + static_cast<long>(at + k));
      Wires res = run(*c, part);
      out.insert(out.end(), res.begin(), res.end());
      at += k;
    }
    return out;
  }
  case ir::Node::Kind::Fork: {
    Wires out;
    for (const auto &c : n.children) {
      Wires res = run(*c, in);
      out.insert(out.end(), res.begin(), res.end());
    }
    return out;
  }
  case ir::Node::Kind::Map: {
    // Wire i of A^n is n consecutive copies of wire i of A.
    const ir::Node &body = *n.children[0];
    std::vector<Obj> outFlat = n.cod.flatten();
    Wires out(outFlat.size());
    for (size_t w = 0; w < outFlat.size(); ++w)
      out[w].reserve(static_cast<size_t>(outFlat[w].numElements()));
    int64_t count = n.mapCount;
    for (int64_t t = 0; t < count; ++t) {
      Wires slice;
      for (const Tensor &wire : in) {
        size_t len = wire.size() / static_cast<size_t>(count);
        slice.emplace_back(wire.begin() + static_cast<long>(t * len),
                           wire.begin() + static_cast<long>((t + 1) * len));
      }
      Wires res = run(body, slice);
      for (size_t w = 0; w < res.size() && w < out.size(); ++w)
        out[w].insert(out[w].end(), res[w].begin(), res[w].end());
    }
    return out;
  }
  }
  return {};
}

/// exp(x) / sum(exp) over rows of length k, shifted by the row maximum.
static void softmaxRows(const Tensor &x, Tensor &y, size_t k, bool logarithm) {
  y.resize(x.size());
  for (size_t r = 0; r * k < x.size(); ++r) {
    const double *row = x.data() + r * k;
    double shift = *std::max_element(row, row + k);
    double sum = 0;
    for (size_t l = 0; l < k; ++l)
      sum += std::exp(row[l] - shift);
    for (size_t l = 0; l < k; ++l)
      y[r * k + l] = logarithm ? (row[l] - shift) - std::log(sum) : std::exp(row[l] - shift) / sum;
  }
}

Wires Evaluator::runPrim(const ir::Node &n, const Wires &in) {
  std::vector<Obj> codFlat = n.cod.flatten();
  size_t outSize = codFlat.empty() ? 0 : static_cast<size_t>(codFlat[0].numElements());
  for (const Tensor &t : in)
    ops += t.size();
  ops += outSize;
  auto pointwise = [&](auto f) {
    Tensor y(in[0].size());
    for (size_t i = 0; i < y.size(); ++i)
      y[i] = f(in[0][i]);
    return Wires{y};
  };
  auto binary = [&](auto f) {
    Tensor y(in[0].size());
    for (size_t i = 0; i < y.size(); ++i)
      y[i] = f(in[0][i], in[1][i]);
    return Wires{y};
  };
  auto param = [&](size_t i) -> const Tensor & { return params[static_cast<size_t>(n.params[i])]; };
  auto lastDim = [](const Obj &o) { return o.shape.empty() ? size_t(1) : static_cast<size_t>(o.shape.back()); };

  if (auto wiring = ir::structuralWiring(n))
    return ir::rewire(*wiring, in);
  switch (n.op) {
  case PrimOp::Id: case PrimOp::Copy: case PrimOp::Drop: case PrimOp::Fst:
  case PrimOp::Snd: case PrimOp::Pi: case PrimOp::Swap:
    llvm_unreachable("structural boxes are wirings, handled above");
  case PrimOp::Reshape: // row-major data is unchanged
    return in;
  case PrimOp::Add: return binary([](double a, double b) { return a + b; });
  case PrimOp::Sub: return binary([](double a, double b) { return a - b; });
  case PrimOp::Mul: return binary([](double a, double b) { return a * b; });
  case PrimOp::Div: return binary([](double a, double b) { return a / b; });
  case PrimOp::Neg: return pointwise([](double x) { return -x; });
  case PrimOp::Exp: return pointwise([](double x) { return std::exp(x); });
  case PrimOp::Log: return pointwise([](double x) { return std::log(x); });
  case PrimOp::Sqrt: return pointwise([](double x) { return std::sqrt(x); });
  case PrimOp::Square: return pointwise([](double x) { return x * x; });
  case PrimOp::Relu: return pointwise([](double x) { return x > 0 ? x : 0.0; });
  case PrimOp::Sigmoid: return pointwise([](double x) { return 1 / (1 + std::exp(-x)); });
  case PrimOp::Tanh: return pointwise([](double x) { return std::tanh(x); });
  case PrimOp::Gelu:
    return pointwise([](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); });
  case PrimOp::Scale: {
    double c = n.attrs.constant;
    return pointwise([c](double x) { return c * x; });
  }
  case PrimOp::Dropout: // the identity outside a training step
    return pointwise([](double x) { return x; });
  case PrimOp::Zero: case PrimOp::Const:
    return {Tensor(outSize, n.op == PrimOp::Zero ? 0.0 : n.attrs.constant)};
  case PrimOp::Sum: case PrimOp::Mean: {
    // Fold the leading axis of every factor.
    std::vector<Obj> domFlat = n.dom.flatten();
    Wires out;
    for (size_t w = 0; w < in.size(); ++w) {
      size_t len = static_cast<size_t>(domFlat[w].shape[0]);
      size_t inner = in[w].size() / len;
      Tensor y(inner, 0.0);
      for (size_t t = 0; t < len; ++t)
        for (size_t l = 0; l < inner; ++l)
          y[l] += in[w][t * inner + l];
      if (n.op == PrimOp::Mean)
        for (double &v : y)
          v /= static_cast<double>(len);
      out.push_back(std::move(y));
    }
    return out;
  }
  case PrimOp::Broadcast: {
    Wires out;
    for (size_t w = 0; w < in.size(); ++w) {
      size_t len = static_cast<size_t>(codFlat[w].shape[0]);
      Tensor y;
      y.reserve(len * in[w].size());
      for (size_t t = 0; t < len; ++t)
        y.insert(y.end(), in[w].begin(), in[w].end());
      ops += y.size();
      out.push_back(std::move(y));
    }
    return out;
  }
  case PrimOp::Dot: {
    double s = 0;
    for (size_t i = 0; i < in[0].size(); ++i)
      s += in[0][i] * in[1][i];
    return {Tensor{s}};
  }
  case PrimOp::Matmul: {
    const Obj &a = n.dom.factors[0], &b = n.dom.factors[1];
    size_t m = static_cast<size_t>(a.shape[0]), k = static_cast<size_t>(a.shape[1]),
           cols = static_cast<size_t>(b.shape[1]);
    Tensor y(m * cols, 0.0);
    for (size_t i = 0; i < m; ++i)
      for (size_t l = 0; l < k; ++l)
        for (size_t j = 0; j < cols; ++j)
          y[i * cols + j] += in[0][i * k + l] * in[1][l * cols + j];
    ops += m * k * cols;
    return {y};
  }
  case PrimOp::Transpose: {
    size_t rows = static_cast<size_t>(n.dom.shape[0]), cols = static_cast<size_t>(n.dom.shape[1]);
    Tensor y(rows * cols);
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < cols; ++j)
        y[j * rows + i] = in[0][i * cols + j];
    return {y};
  }
  case PrimOp::Concat: {
    Tensor y = in[0];
    y.insert(y.end(), in[1].begin(), in[1].end());
    return {y};
  }
  case PrimOp::Softmax: case PrimOp::LogSoftmax: {
    Tensor y;
    softmaxRows(in[0], y, lastDim(n.cod), n.op == PrimOp::LogSoftmax);
    return {y};
  }
  case PrimOp::CausalMask: {
    size_t size = lastDim(n.cod);
    Tensor y = in[0];
    for (size_t e = 0; e < y.size(); ++e)
      if (e % size > (e / size) % size)
        y[e] = -std::numeric_limits<double>::infinity();
    return {y};
  }
  case PrimOp::Param: {
    Wires out;
    for (size_t i = 0; i < n.params.size(); ++i)
      out.push_back(param(i));
    return out;
  }
  case PrimOp::Linear: {
    const Tensor &w = param(0);
    size_t k = in[0].size(), m = outSize;
    Tensor y(m, 0.0);
    for (size_t j = 0; j < m; ++j)
      for (size_t l = 0; l < k; ++l)
        y[j] += w[j * k + l] * in[0][l];
    ops += m * k;
    return {y};
  }
  case PrimOp::Bias: {
    Tensor y = in[0];
    const Tensor &b = param(0);
    for (size_t i = 0; i < y.size(); ++i)
      y[i] += b[i % b.size()];
    return {y};
  }
  case PrimOp::Embed: {
    // One table row per token; an out-of-range index is clamped as the kernel does.
    const Tensor &table = param(0);
    size_t d = lastDim(n.cod), classes = static_cast<size_t>(n.dom.classes);
    Tensor y;
    for (double token : in[0]) {
      size_t row = std::min(static_cast<size_t>(std::max(token, 0.0)), classes - 1);
      y.insert(y.end(), table.begin() + static_cast<long>(row * d),
               table.begin() + static_cast<long>((row + 1) * d));
    }
    return {y};
  }
  case PrimOp::Layernorm: {
    const Tensor &gain = param(0), &shift = param(1);
    size_t k = lastDim(n.cod);
    Tensor y(in[0].size());
    for (size_t r = 0; r * k < y.size(); ++r) {
      const double *x = in[0].data() + r * k;
      double mean = 0, var = 0;
      for (size_t l = 0; l < k; ++l)
        mean += x[l] / static_cast<double>(k);
      for (size_t l = 0; l < k; ++l)
        var += (x[l] - mean) * (x[l] - mean) / static_cast<double>(k);
      for (size_t l = 0; l < k; ++l)
        y[r * k + l] = gain[l] * (x[l] - mean) / std::sqrt(var + 1e-5) + shift[l];
    }
    return {y};
  }
  case PrimOp::Mse: {
    double s = 0;
    for (size_t i = 0; i < in[0].size(); ++i)
      s += (in[0][i] - in[1][i]) * (in[0][i] - in[1][i]);
    return {Tensor{s / static_cast<double>(in[0].size())}};
  }
  case PrimOp::Bce: {
    // Binary cross-entropy on logits, stable form: max(z, 0) - z y + log(1 + e^-|z|).
    double s = 0;
    for (size_t i = 0; i < in[0].size(); ++i) {
      double z = in[0][i], t = in[1][i];
      s += std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::fabs(z)));
    }
    return {Tensor{s / static_cast<double>(in[0].size())}};
  }
  case PrimOp::CrossEntropy: {
    Tensor logSoftmax;
    softmaxRows(in[0], logSoftmax, in[0].size(), true);
    size_t target = std::min(static_cast<size_t>(std::max(in[1][0], 0.0)), logSoftmax.size() - 1);
    return {Tensor{-logSoftmax[target]}};
  }
  }
  return {};
}

} // namespace cat::laws
