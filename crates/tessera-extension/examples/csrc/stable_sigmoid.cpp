// A sigmoid in C++ that never overflows (exp of a non-positive number only), with its
// gradient y * (1 - y), through tessera.hpp.
#include <cmath>
#include <tessera.hpp>

TESSERA_CPP_OP(stable_sigmoid, call) {
    auto x = call.input(0);
    auto y = call.alloc_like(0, x);
    tessera::dispatch_float(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        auto out = y.span<T>();
        for (int64_t i = 0; i < out.size(); i++) {
            T v = x.flat<T>(i);
            T e = std::exp(-std::abs(v));
            out[i] = v >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
        }
    });
}

// Inputs (grad, x, y).
TESSERA_CPP_OP(stable_sigmoid_backward, call) {
    auto g = call.input(0), y = call.input(2);
    auto gx = call.alloc_like(0, call.input(1));
    tessera::dispatch_float(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        for (int64_t i = 0; i < g.numel(); i++) {
            T s = y.flat<T>(i);
            gx.flat<T>(i) = g.flat<T>(i) * s * (T(1) - s);
        }
    });
}

static const tessera_op_def ops[] = {
    {"stable_sigmoid", 1, 0, 1, TESSERA_MASK_FLOAT, 0, "stable_sigmoid_backward"},
    {"stable_sigmoid_backward", 3, 0, 1, TESSERA_MASK_FLOAT, 0, nullptr},
};
TESSERA_DEFINE_EXTENSION(ops)
