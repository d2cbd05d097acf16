//===- Morphism.cpp - The C interface of one exported morphism -----------===//
//
// For `m : A -> B` in module `p` (docs/embedding.md):
//   size_t p_m_workspace_size(size_t n);
//   void   p_m_init(float *params, uint64_t seed);
//   void   p_m_forward(const float *params, <A factors>, <B factors>, size_t n, void *ws);
//   void   p_m_backward(const float *params, <A factors>, <dB factors>, float *dparams,
//                       <dA factors>, size_t n, void *ws);
// and for the trained morphism, with T the loss's target object:
//   void   p_m_evaluate(params, <A>, <T>, <B>, float *losses, n, ws);
//   float  p_m_loss_grad(params, <A>, <T>, float *dparams, n, ws);
//   float  p_m_train_step(float *params, float *opt_state, <A>, <T>, n, ws);
//   float  p_m_loss_grad_outputs(params, <A>, <T>, <B>, float *dparams, n, ws);
//   float  p_m_train_step_outputs(float *params, float *opt_state, <A>, <T>, <B>, n, ws);
// The training step is the endomorphism P * S -> P * S: loss and gradient
// into the workspace, then the optimizer update of AD.md in place. The
// `_outputs` variants also write the outputs of the forward pass they
// compute anyway, so a training loop gets the step's predictions for free.
//
//===----------------------------------------------------------------------===//
#include "CodeGen/ModuleBuilder.h"
#include "CodeGen/kernels/catk.h"

#include "llvm/IR/InstIterator.h"

#include <cmath>
#include <numeric>
#include <tuple>

namespace cat {

using namespace llvm;

namespace {
std::vector<Value *> take(Function::arg_iterator &it, size_t count) {
  std::vector<Value *> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(&*it++);
  return out;
}

size_t countReal(const Obj &o) {
  size_t n = 0;
  for (const Obj &f : o.flatten())
    n += f.isReal();
  return n;
}
} // namespace

Constant *ModuleBuilder::cstring(StringRef s) {
  return b.CreateGlobalStringPtr(s, ".str", 0, module.get());
}

static int64_t alignedBytes(int64_t floats) { return (4 * floats + 63) / 64 * 64; }

MorphismFunctions ModuleBuilder::emitMorphism(const Program &program, const MorphismInstance &inst,
                                              const TrainSpec *train) {
  MorphismFunctions out;
  out.instance = &inst;
  out.symbol = program.prefix + "_" + inst.name;
  ir::Function fn = ir::lowerMorphism(inst, out.layout);
  std::optional<ir::Function> loss;
  if (train) {
    loss = ir::lowerMorphism(*train->loss, out.layout);
    out.target = train->target;
  }
  const std::string &sym = out.symbol;
  size_t nIn = inst.dom.flatten().size(), nOut = inst.cod.flatten().size();
  std::vector<std::pair<int64_t, int64_t>> wsNeeds; // {const, perN} of each function

  // Builds the function of one graph: `pointers` pointer arguments, bound
  // by `bindArgs`, then `size_t n, void *workspace`; a training step's
  // graph (internal) takes a `uint64_t` dropout seed, and a loss gradient's
  // (internal, `modal`) an `int accumulate` (ad::assignGradientWrites),
  // the `size_t total` its mean is over and a training step's update last.
  auto emit = [&](StringRef name, Type *ret, size_t pointers, const ir::Function *lossFn,
                  ad::FunctionKind kind, auto bindArgs, bool training = false, bool internal = false,
                  bool modal = false, bool writing = false) {
    ad::Graph g = ad::buildGraph(kind, fn, lossFn, out.layout, training);
    std::vector<Type *> types(pointers, ptrTy);
    types.push_back(sizeTy);
    types.push_back(ptrTy);
    if (training)
      types.push_back(i64);
    if (modal) {
      types.push_back(i32);
      types.push_back(sizeTy);
      types.push_back(ptrTy);
    }
    Function *f = declare(name, ret, types, !training && !internal && !modal);
    if (modal) // one copy, called by the C interface's function and the steps
      f->addFnAttr(Attribute::NoInline);
    b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
    GraphEnv env;
    auto it = f->arg_begin();
    bindArgs(env, it);
    env.n = batchArg(&*it++);
    env.ws = &*it++;
    if (training)
      env.dropoutSeed = &*it++;
    if (modal) {
      env.accumulate = &*it++;
      env.total = batchArg(&*it++);
      env.update = &*it++;
      out.updatedInKernel[f] = g.updatedInKernel;
    }
    if (writing) { // the arguments are 0 and null at every call of this copy
      env.accumulate = ConstantInt::get(i32, 0);
      env.update = nullptr;
      env.fixedModes = true;
    }
    WorkspacePlan p = plan(g);
    wsNeeds.push_back({p.scratchBytes, p.perN});
    Value *result = emitGraph(g, p, env);
    if (ret->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(result);
    return f;
  };

  out.forward = emit(sym + "_forward", b.getVoidTy(), 1 + nIn + nOut, nullptr,
                     ad::FunctionKind::Forward, [&](GraphEnv &env, auto &it) {
                       env.params = &*it++;
                       env.inputs = take(it, nIn);
                       env.outputs = take(it, nOut);
                     });
  std::tie(out.forwardWsConst, out.forwardWsPerN) = wsNeeds.back();
  size_t nDOut = countReal(inst.cod), nDIn = countReal(inst.dom);
  out.backward = emit(sym + "_backward", b.getVoidTy(), 1 + nIn + nDOut + 1 + nDIn, nullptr,
                      ad::FunctionKind::Backward, [&](GraphEnv &env, auto &it) {
                        env.params = &*it++;
                        env.inputs = take(it, nIn);
                        env.dOutputs = take(it, nDOut);
                        env.dparams = &*it++;
                        env.dInputs = take(it, nDIn);
                      });
  if (train) {
    size_t nT = train->target.flatten().size();
    out.evaluate = emit(sym + "_evaluate", b.getVoidTy(), 1 + nIn + nT + nOut + 1, &*loss,
                        ad::FunctionKind::Evaluate, [&](GraphEnv &env, auto &it) {
                          env.params = &*it++;
                          env.inputs = take(it, nIn);
                          env.targets = take(it, nT);
                          env.outputs = take(it, nOut);
                          env.losses = &*it++;
                        });
    auto bindLossGradOutputs = [&](GraphEnv &env, auto &it) {
      env.params = &*it++;
      env.inputs = take(it, nIn);
      env.targets = take(it, nT);
      env.outputs = take(it, nOut);
      env.dparams = &*it++;
    };
    // The C interface's functions add into dparams; the training steps call
    // the same code in write mode, on a gradient buffer they do not clear
    // (on the one-lane family a copy of it fixed to write mode, writingCopy).
    // Without the outputs, each is the function with them, given room for
    // them in the workspace: one compiled copy (the second was 2.6 % of a
    // small model's compile), for a workspace larger by the outputs at most.
    int64_t gradBytes = alignedBytes(out.layout.totalFloats);
    std::vector<int64_t> outputSliceBytes; // 16-byte aligned slices, as plan() cuts them
    for (const Obj &f : inst.cod.flatten())
      outputSliceBytes.push_back((4 * f.numElements() + 15) / 16 * 16);
    int64_t outputBytesPerN = std::accumulate(outputSliceBytes.begin(), outputSliceBytes.end(), int64_t{0});
    auto emitPair = [&](const std::string &suffix, bool training, Function *&withOutputs, Function *&without) {
      withOutputs = emit(sym + "_loss_grad_outputs" + suffix, f32, 1 + nIn + nT + nOut + 1, &*loss,
                         ad::FunctionKind::LossGradOutputs, bindLossGradOutputs, training, true, true);
      auto [bytes, perN] = wsNeeds.back();
      without = emitWithoutOutputs(sym + "_loss_grad" + suffix, withOutputs, out, 1 + nIn + nT, outputSliceBytes,
                                   {bytes, perN});
      // The training step keeps dparams in front of either's workspace.
      wsNeeds.back().first += gradBytes;
      wsNeeds.push_back({bytes + gradBytes, perN + outputBytesPerN});
      if (opts.gemmTile == CATK_TILE_SCALAR) { // see writingCopy
        Function *copy = emit(sym + "_loss_grad_outputs" + suffix + ".write", f32, 1 + nIn + nT + nOut + 1, &*loss,
                              ad::FunctionKind::LossGradOutputs, bindLossGradOutputs, training, true, true, true);
        wsNeeds.pop_back(); // the same graph, the same workspace as withOutputs
        writingCopy[withOutputs] = copy;
        writingCopy[without] = emitWithoutOutputs(sym + "_loss_grad" + suffix + ".write", copy, out, 1 + nIn + nT,
                                                  outputSliceBytes, {bytes, perN});
      }
    };
    emitPair(".modal", false, out.lossGradOutputsModal, out.lossGradModal);
    out.lossGrad = emitAdding(sym + "_loss_grad", out.lossGradModal);
    out.lossGradOutputs = emitAdding(sym + "_loss_grad_outputs", out.lossGradOutputsModal);
    if (ad::hasTrainingBehaviour(fn))
      emitPair(".train", true, out.trainLossGradOutputs, out.trainLossGrad);
    if (ad::lossHeadsNode(*loss))
      out.headLosses = emit(sym + "_head_losses", b.getVoidTy(), 1 + nIn + nT + 2, &*loss,
                            ad::FunctionKind::HeadLosses,
                            [&](GraphEnv &env, auto &it) {
                              env.params = &*it++;
                              env.inputs = take(it, nIn);
                              env.targets = take(it, nT);
                              env.outputs = take(it, 2);
                            },
                            false, true);
    // The update first: both steps call it rather than repeat it.
    out.applyGradient = emitApplyGradient(sym + "_apply_gradient", out, *train);
    out.trainStep = emitTrainStep(sym + "_train_step", out.trainLossGrad ? out.trainLossGrad : out.lossGradModal,
                                  out, *train, nIn, nT, 0, gradBytes);
    out.trainStepOutputs =
        emitTrainStep(sym + "_train_step_outputs",
                      out.trainLossGradOutputs ? out.trainLossGradOutputs : out.lossGradOutputsModal, out, *train,
                      nIn, nT, nOut, gradBytes);
    out.shardGrad = emitShardGrad(sym + "_shard_grad", out.trainLossGrad ? out.trainLossGrad : out.lossGradModal,
                                  *train, nIn, nT, 0);
    out.shardGradOutputs = emitShardGrad(
        sym + "_shard_grad_outputs", out.trainLossGradOutputs ? out.trainLossGradOutputs : out.lossGradOutputsModal,
        *train, nIn, nT, nOut);
  }
  out.workspaceSize = emitWorkspaceSize(sym, out, wsNeeds);
  out.init = emitInit(sym, out.layout);
  out.paramTable = emitParamTable(sym, out.layout);
  return out;
}

Function *ModuleBuilder::emitAdding(const std::string &name, Function *modal) {
  // The C interface's loss gradient: the modal function in add mode, the
  // mean over the n examples it is given, no update.
  std::vector<Type *> types;
  for (Argument &a : modal->args())
    types.push_back(a.getType());
  types.resize(types.size() - 3);
  Function *f = declare(name, modal->getReturnType(), types, true);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
  std::vector<Value *> args;
  for (Argument &a : f->args())
    args.push_back(&a);
  args.push_back(ConstantInt::get(i32, 1));
  args.push_back(f->getArg(f->arg_size() - 2)); // (..., n, ws)
  args.push_back(ConstantPointerNull::get(cast<PointerType>(ptrTy)));
  b.CreateRet(b.CreateCall(modal, args));
  return f;
}

Function *ModuleBuilder::emitWithoutOutputs(const std::string &name, Function *withOutputs, MorphismFunctions &out,
                                            size_t before, ArrayRef<int64_t> outputSliceBytes,
                                            std::pair<int64_t, int64_t> workspace) {
  size_t outputs = outputSliceBytes.size();
  std::vector<Type *> types;
  for (Argument &a : withOutputs->args())
    if (a.getArgNo() < before || a.getArgNo() >= before + outputs)
      types.push_back(a.getType());
  Function *f = declare(name, withOutputs->getReturnType(), types, false);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
  // (..., dparams, n, ws, ...) after the outputs.
  Value *n = batchArg(f->getArg(before + 1)), *ws = f->getArg(before + 2);
  std::vector<Value *> args;
  for (size_t i = 0; i < before; ++i)
    args.push_back(f->getArg(i));
  // Past the workspace withOutputs uses, a 16-byte multiple as plan() cuts
  // it, output o after the slices of those before it.
  auto [bytes, perN] = workspace;
  for (int64_t slice : outputSliceBytes) {
    args.push_back(b.CreateGEP(b.getInt8Ty(), ws,
                               b.CreateAdd(b.CreateMul(n, ConstantInt::get(idxTy, perN)), ConstantInt::get(idxTy, bytes))));
    perN += slice;
  }
  for (size_t i = before; i < f->arg_size(); ++i)
    args.push_back(f->getArg(i));
  b.CreateRet(b.CreateCall(withOutputs, args));
  out.updatedInKernel[f] = out.updatedInKernel.at(withOutputs);
  return f;
}

Value *ModuleBuilder::emitStepLoss(Function *lossGrad, const TrainSpec &train, Value *params, Value *state,
                                   ArrayRef<Value *> data, Value *dparams, Value *n, Value *total, Value *shard,
                                   Value *ws, Value *update) {
  // `lossGrad` takes (params, <A>, <T>, <outputs>, dparams, n, ws,
  // [dropout seed,] accumulate, total, update); `data` are the pointers
  // between params and dparams.
  std::vector<Value *> args{params};
  args.insert(args.end(), data.begin(), data.end());
  args.push_back(dparams);
  args.push_back(n);
  args.push_back(ws);
  if (lossGrad->arg_size() == args.size() + 4) {
    // Dropout's seed for this step: the run's seed (the header's bits, or
    // the train block's), salted and moved on by the step count and the
    // shard.
    auto slot = [&](int64_t i) { return b.CreateLoad(f32, b.CreateConstGEP1_64(f32, state, i)); };
    Value *chosen = b.CreateFCmpUNE(slot(kOptSlotChosen), ConstantFP::get(f32, 0));
    Value *runSeed = b.CreateSelect(chosen, b.CreateZExt(b.CreateBitCast(slot(kOptSlotSeed), i32), i64),
                                    ConstantInt::get(i64, train.seed & 0xffffffffu));
    Value *taken = b.CreateLoad(i32, b.CreateConstGEP1_64(f32, state, kOptSlotStep));
    Value *moved = b.CreateMul(b.CreateZExt(taken, i64), ConstantInt::get(i64, kDropoutStepGamma));
    Value *seed = b.CreateXor(b.CreateXor(runSeed, ConstantInt::get(i64, kDropoutSalt)), moved);
    if (shard)
      seed = b.CreateXor(seed, b.CreateMul(b.CreateZExtOrTrunc(shard, i64), ConstantInt::get(i64, kDropoutShardGamma)));
    args.push_back(seed);
  }
  args.push_back(ConstantInt::get(i32, 0)); // write mode
  args.push_back(total);
  args.push_back(update ? update : ConstantPointerNull::get(cast<PointerType>(ptrTy)));
  auto copy = writingCopy.find(lossGrad);
  return b.CreateCall(!update && copy != writingCopy.end() ? copy->second : lossGrad, args);
}

ModuleBuilder::StepSettings ModuleBuilder::emitStepSettings(const TrainSpec &train, Value *state) {
  const OptimizerSpec &o = train.optimizer;
  auto fl = [&](double v) { return ConstantFP::get(f32, v); };
  auto slot = [&](int64_t i) { return b.CreateLoad(f32, b.CreateConstGEP1_64(f32, state, i)); };
  Value *chosen = b.CreateFCmpUNE(slot(kOptSlotChosen), fl(0));
  return {b.CreateSelect(chosen, slot(kOptSlotLr), fl(o.lr)),
          b.CreateSelect(chosen, slot(kOptSlotWeightDecay), fl(o.weightDecay)),
          b.CreateSelect(chosen, slot(kOptSlotClip), fl(o.clip))};
}

Value *ModuleBuilder::emitNextStep(Value *state) {
  // The counter is a uint32 stored bit for bit in its float slot: exact to
  // 2^32 steps, and no float<->integer conversion (a libgcc helper on
  // 32-bit cores).
  return b.CreateAdd(b.CreateLoad(i32, b.CreateConstGEP1_64(f32, state, kOptSlotStep)), ConstantInt::get(i32, 1));
}

void ModuleBuilder::emitOptimizerUpdate(const TrainSpec &train, int64_t P, Value *params, Value *state,
                                        Value *grad) {
  const OptimizerSpec &o = train.optimizer;
  auto fl = [&](double v) { return ConstantFP::get(f32, v); };
  // step = state[0] + 1, stored back: the optimizer's clock is part of S.
  Value *step = emitNextStep(state);
  b.CreateStore(step, b.CreateConstGEP1_64(f32, state, kOptSlotStep));
  auto [lr, decay, clip] = emitStepSettings(train, state);
  b.CreateCall(kernel("cat_k_clip_grad_norm"), {grad, ConstantInt::get(idxTy, P), clip});
  Value *first = b.CreateConstGEP1_64(f32, state, kOptHeaderFloats);
  if (o.kind == OptimizerSpec::Kind::Adam)
    // 1 - beta and ln(beta) from the betas as written, in double, so that
    // the kernel's float arithmetic matches PyTorch's double scalars.
    b.CreateCall(kernel("cat_k_adam"),
                 {params, grad, first, b.CreateConstGEP1_64(f32, state, kOptHeaderFloats + P),
                  ConstantInt::get(idxTy, P), lr, fl(o.beta1), fl(o.beta2), fl(o.eps), decay, step,
                  fl(1.0 - o.beta1), fl(1.0 - o.beta2), fl(std::log(o.beta1)), fl(std::log(o.beta2))});
  else
    b.CreateCall(kernel("cat_k_sgd"), {params, grad, first, ConstantInt::get(idxTy, P), lr, fl(o.momentum), decay, step});
}

Function *ModuleBuilder::emitTrainStep(const std::string &name, Function *lossGrad,
                                       MorphismFunctions &out, const TrainSpec &train, size_t nIn,
                                       size_t nT, size_t nOut, int64_t gradBytes) {
  // The step passes its output arguments through (none for the plain
  // step), so both steps share this code.
  int64_t P = out.layout.totalFloats;
  bool adam = train.optimizer.kind == OptimizerSpec::Kind::Adam;
  out.optStateFloats = kOptHeaderFloats + (adam ? 2 : 1) * P;
  std::vector<Type *> types(2 + nIn + nT + nOut, ptrTy);
  types.push_back(sizeTy);
  types.push_back(ptrTy);
  Function *f = declare(name, f32, types, true);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
  auto it = f->arg_begin();
  Value *params = &*it++, *state = &*it++;
  std::vector<Value *> data = take(it, nIn + nT + nOut);
  Value *n = &*it++, *ws = &*it++;
  // The loss gradient written (not added) into dparams at the front of the
  // workspace, with the rest of the workspace after it: one shard, the
  // whole batch.
  Value *rest = b.CreateConstGEP1_64(b.getInt8Ty(), ws, gradBytes);
  // Fused where the GEMM keeps whole vectors of the gradient in registers
  // and the parameters outgrow an L1 data cache: it saves a pass over them
  // through memory (measured: 2-5 % of a step of the bench's MLPs of 64-128
  // to 784-1024-1024). Parameters that stay in L1 make that pass cheap and
  // the fused step's own work (its settings, a call per tensor it cannot
  // fuse) dearer: 8 % slower on a 4-16-3 MLP. A core without SIMD (the
  // one-lane family, microcontrollers) gains nothing either (its tiles are
  // narrow, so the update's setup a tile costs what the pass saves) and
  // keeps the smaller code.
  constexpr int64_t kL1Floats = 8192; // 32 KiB
  const std::vector<bool> &inKernel = out.updatedInKernel.at(lossGrad);
  if (train.optimizer.kind == OptimizerSpec::Kind::Sgd && opts.gemmTile != CATK_TILE_SCALAR &&
      out.layout.totalFloats > kL1Floats && std::any_of(inKernel.begin(), inKernel.end(), [](bool u) { return u; }))
    emitUpdateInKernels(lossGrad, out, train, params, state, data, n, ws, rest, inKernel);
  Value *loss = emitStepLoss(lossGrad, train, params, state, data, ws, n, n, nullptr, rest, nullptr);
  b.CreateCall(out.applyGradient, {params, state, ws});
  b.CreateRet(loss);
  return f;
}

void ModuleBuilder::emitUpdateInKernels(Function *lossGrad, MorphismFunctions &out, const TrainSpec &train,
                                        Value *params, Value *state, ArrayRef<Value *> data, Value *n,
                                        Value *grad, Value *rest, const std::vector<bool> &inKernel) {
  // SGD updates a tensor in the kernel that computes its gradient
  // (ad::assignGradientWrites) unless the update needs the whole gradient
  // first: clipping (its norm) or weight decay (not fused, for brevity of
  // the kernels: it is rare with SGD). Then the step goes on after this.
  Function *f = b.GetInsertBlock()->getParent();
  auto [lr, decay, clip] = emitStepSettings(train, state);
  Value *inKernels = b.CreateAnd(b.CreateFCmpULE(clip, ConstantFP::get(f32, 0)),
                                 b.CreateFCmpOEQ(decay, ConstantFP::get(f32, 0)));
  // cat_k_sgd_step (catk.h): grad, params, velocity, lr, momentum, step.
  StructType *stepTy = StructType::get(ctx, {ptrTy, ptrTy, ptrTy, f32, f32, i32});
  Value *update = b.CreateAlloca(stepTy); // in the entry block: a fixed slot of the frame
  BasicBlock *fused = BasicBlock::Create(ctx, "update_in_kernels", f);
  BasicBlock *separate = BasicBlock::Create(ctx, "update_after", f);
  b.CreateCondBr(inKernels, fused, separate);

  b.SetInsertPoint(fused);
  Value *step = emitNextStep(state);
  Value *velocity = b.CreateConstGEP1_64(f32, state, kOptHeaderFloats);
  Value *momentum = ConstantFP::get(f32, train.optimizer.momentum);
  Value *fields[] = {grad, params, velocity, lr, momentum, step};
  for (unsigned i = 0; i < 6; ++i)
    b.CreateStore(fields[i], b.CreateStructGEP(stepTy, update, i));
  Value *loss = emitStepLoss(lossGrad, train, params, state, data, grad, n, n, nullptr, rest, update);
  b.CreateStore(step, b.CreateConstGEP1_64(f32, state, kOptSlotStep));
  // The tensors no kernel updated, in runs of neighbours (with what lies
  // between them, which the whole-model update covers too).
  const ir::ParamLayout &layout = out.layout;
  for (size_t t = 0; t < layout.tensors.size();) {
    if (inKernel[t]) {
      ++t;
      continue;
    }
    size_t last = t;
    while (last + 1 < layout.tensors.size() && !inKernel[last + 1])
      ++last;
    int64_t from = layout.tensors[t].offset, to = layout.tensors[last].offset + layout.tensors[last].size;
    if (last + 1 == layout.tensors.size())
      to = layout.totalFloats;
    b.CreateCall(kernel("cat_k_sgd"), {b.CreateConstGEP1_64(f32, params, from), b.CreateConstGEP1_64(f32, grad, from),
                                       b.CreateConstGEP1_64(f32, velocity, from), ConstantInt::get(idxTy, to - from),
                                       lr, momentum, ConstantFP::get(f32, 0), step});
    t = last + 1;
  }
  b.CreateRet(loss);
  b.SetInsertPoint(separate);
}

Function *ModuleBuilder::emitShardGrad(const std::string &name, Function *lossGrad, const TrainSpec &train,
                                       size_t nIn, size_t nT, size_t nOut) {
  // (params, const opt_state, <A>, <T>, <outputs>, grad, n, total, shard, ws)
  std::vector<Type *> types(2 + nIn + nT + nOut + 1, ptrTy);
  types.insert(types.end(), {sizeTy, sizeTy, sizeTy, ptrTy});
  Function *f = declare(name, f32, types, true);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
  auto it = f->arg_begin();
  Value *params = &*it++, *state = &*it++;
  std::vector<Value *> data = take(it, nIn + nT + nOut);
  Value *grad = &*it++, *n = &*it++, *total = &*it++, *shard = &*it++, *ws = &*it++;
  b.CreateRet(emitStepLoss(lossGrad, train, params, state, data, grad, n, total, shard, ws, nullptr));
  return f;
}

Function *ModuleBuilder::emitApplyGradient(const std::string &name, MorphismFunctions &out,
                                           const TrainSpec &train) {
  Function *f = declare(name, b.getVoidTy(), {ptrTy, ptrTy, ptrTy}, true);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
  emitOptimizerUpdate(train, out.layout.totalFloats, f->getArg(0), f->getArg(1), f->getArg(2));
  b.CreateRetVoid();
  return f;
}

Function *ModuleBuilder::emitWorkspaceSize(const std::string &sym, MorphismFunctions &out,
                                           const std::vector<std::pair<int64_t, int64_t>> &needs) {
  out.workspaceSize = declare(sym + "_workspace_size", sizeTy, {sizeTy}, true);
  for (auto [c, perN] : needs)
    growWorkspace(out, c, perN);
  return out.workspaceSize;
}

void ModuleBuilder::growWorkspace(MorphismFunctions &out, int64_t c, int64_t perN) {
  // One affine bound for every function of the morphism, so the header can
  // state the same exact size as a constant expression.
  out.wsConst = std::max(out.wsConst, c);
  out.wsPerN = std::max(out.wsPerN, perN);
  Function *f = out.workspaceSize;
  if (!f->empty())
    f->deleteBody();
  IRBuilderBase::InsertPointGuard keep(b);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
  Value *n = b.CreateZExtOrTrunc(&*f->arg_begin(), i64);
  Value *bytes = b.CreateAdd(b.CreateMul(n, ConstantInt::get(i64, out.wsPerN)),
                             ConstantInt::get(i64, out.wsConst));
  b.CreateRet(b.CreateZExtOrTrunc(bytes, sizeTy));
}

Function *ModuleBuilder::emitInit(const std::string &sym, const ir::ParamLayout &layout) {
  Function *f = declare(sym + "_init", b.getVoidTy(), {ptrTy, i64}, true);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
  Value *params = &*f->arg_begin();
  Value *seed = &*(f->arg_begin() + 1);
  // The tensor's pointer, the seed and the stream vary; sizes and scales are
  // constants, so equal layers share one specialised initialiser.
  const bool kVaries = false, kFixed = true;
  for (size_t i = 0; i < layout.tensors.size(); ++i) {
    const ir::ParamTensor &p = layout.tensors[i];
    Value *ptr = b.CreateConstGEP1_64(f32, params, p.offset);
    Value *count = ConstantInt::get(idxTy, p.size);
    Value *stream = ConstantInt::get(i64, i);
    switch (p.init) {
    case InitKind::Zeros:
    case InitKind::Ones:
      callKernel(kernel("cat_k_fill"), {ptr, count, ConstantFP::get(f32, p.init == InitKind::Ones)},
                 {kVaries, kFixed, kFixed});
      break;
    case InitKind::Glorot: {
      int64_t fanIn = p.shape.shape.empty() ? 1 : p.shape.shape.back();
      callKernel(kernel("cat_k_init_glorot"),
                 {ptr, ConstantInt::get(idxTy, p.size / fanIn), ConstantInt::get(idxTy, fanIn), seed, stream},
                 {kVaries, kFixed, kFixed, kVaries, kVaries});
      break;
    }
    case InitKind::Normal:
      callKernel(kernel("cat_k_init_normal"), {ptr, count, ConstantFP::get(f32, p.initScale), seed, stream},
                 {kVaries, kFixed, kFixed, kVaries, kVaries});
      break;
    case InitKind::Uniform:
      callKernel(kernel("cat_k_init_uniform"),
                 {ptr, count, ConstantFP::get(f32, -p.initScale), ConstantFP::get(f32, p.initScale), seed, stream},
                 {kVaries, kFixed, kFixed, kFixed, kVaries, kVaries});
      break;
    }
  }
  // Run once: each initialiser is called, compiled once out of line,
  // rather than inlined and optimised a second time in here.
  for (Instruction &i : instructions(*f))
    if (auto *call = dyn_cast<CallInst>(&i))
      call->setIsNoInline();
  b.CreateRetVoid();
  return f;
}

GlobalVariable *ModuleBuilder::emitParamTable(const std::string &sym, const ir::ParamLayout &layout) {
  StructType *infoTy = paramInfoType();
  std::vector<Constant *> rows;
  for (const ir::ParamTensor &p : layout.tensors) {
    rows.push_back(ConstantStruct::get(
        infoTy, {cstring(p.name), ConstantInt::get(i64, p.offset), ConstantInt::get(i64, p.size),
                 ConstantInt::get(i32, p.shape.shape.size()), shapeArray(p.shape.shape)}));
  }
  auto *arrTy = ArrayType::get(infoTy, rows.size());
  return new GlobalVariable(*module, arrTy, true, GlobalValue::ExternalLinkage,
                            ConstantArray::get(arrTy, rows), sym + "_param_table");
}

StructType *ModuleBuilder::paramInfoType() {
  // cat_param_info: name, offset, size, rank, shape
  return StructType::get(ctx, {ptrTy, i64, i64, i32, ptrTy});
}

Constant *ModuleBuilder::shapeArray(const std::vector<int64_t> &shape) {
  std::vector<Constant *> dims;
  for (int64_t d : shape)
    dims.push_back(ConstantInt::get(i64, d));
  if (dims.empty())
    dims.push_back(ConstantInt::get(i64, 1)); // never read: rank 0
  auto *ty = ArrayType::get(i64, dims.size());
  return new GlobalVariable(*module, ty, true, GlobalValue::PrivateLinkage, ConstantArray::get(ty, dims),
                            ".shape");
}

} // namespace cat
