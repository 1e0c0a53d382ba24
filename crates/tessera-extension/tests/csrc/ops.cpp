// Test ops in C++ through tessera.hpp.
#include <cmath>
#include <tessera.hpp>

// a * b elementwise (float dtypes, same shape), any strides.
TESSERA_CPP_OP(cpp_mul, call) {
    auto a = call.input(0), b = call.input(1);
    auto y = call.alloc_like(0, a);
    tessera::dispatch_float(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        auto out = y.span<T>();
        for (int64_t i = 0; i < out.size(); i++) out[i] = a.flat<T>(i) * b.flat<T>(i);
    });
}

// inputs: g, a, b, y -> (g * b, g * a)
TESSERA_CPP_OP(cpp_mul_backward, call) {
    auto g = call.input(0), a = call.input(1), b = call.input(2);
    auto ga = call.alloc_like(0, a), gb = call.alloc_like(1, b);
    tessera::dispatch_float(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        for (int64_t i = 0; i < g.numel(); i++) {
            ga.flat<T>(i) = g.flat<T>(i) * b.flat<T>(i);
            gb.flat<T>(i) = g.flat<T>(i) * a.flat<T>(i);
        }
    });
}

// The transpose of a 2-D tensor through at<T>(i, j), for int64 and float64.
TESSERA_CPP_OP(cpp_transpose, call) {
    auto x = call.input(0);
    if (x.ndim() != 2) throw tessera::Error("cpp_transpose: expected 2 dims");
    int64_t sizes[2] = {x.size(1), x.size(0)};
    auto y = call.alloc(0, x.dtype(), 2, sizes);
    auto body = [&](auto zero) {
        using T = decltype(zero);
        for (int64_t i = 0; i < x.size(0); i++)
            for (int64_t j = 0; j < x.size(1); j++) y.at<T>(j, i) = x.at<T>(i, j);
    };
    if (x.dtype() == TESSERA_INT64) body(int64_t{});
    else body(double{});
}

// sin(x) with backward cos(x) * g, whose backward is -sin(x) * g * g' ... (second order):
// cpp_sin_backward takes (g, x, y) and returns g * cos(x); its own backward
// cpp_sin_backward_backward takes (gg, g, x, y, out) and returns
// (gg * cos(x), -gg * g * sin(x), nothing for y).
TESSERA_CPP_OP(cpp_sin, call) {
    auto x = call.input(0);
    auto y = call.alloc_like(0, x);
    for (int64_t i = 0; i < x.numel(); i++) y.flat<double>(i) = std::sin(x.flat<double>(i));
}
TESSERA_CPP_OP(cpp_sin_backward, call) {
    auto g = call.input(0), x = call.input(1);
    auto gx = call.alloc_like(0, x);
    for (int64_t i = 0; i < x.numel(); i++)
        gx.flat<double>(i) = g.flat<double>(i) * std::cos(x.flat<double>(i));
}
TESSERA_CPP_OP(cpp_sin_backward_backward, call) {
    auto gg = call.input(0), g = call.input(1), x = call.input(2);
    auto dg = call.alloc_like(0, g), dx = call.alloc_like(1, x);
    for (int64_t i = 0; i < x.numel(); i++) {
        dg.flat<double>(i) = gg.flat<double>(i) * std::cos(x.flat<double>(i));
        dx.flat<double>(i) = -gg.flat<double>(i) * g.flat<double>(i) * std::sin(x.flat<double>(i));
    }
}

// Throws: the exception becomes the op's error.
TESSERA_CPP_OP(cpp_throws, call) {
    auto x = call.input(0);
    throw tessera::Error("cpp_throws: refused a tensor of " + std::to_string(x.numel()) + " elements");
}

// Asks for the wrong element type: data<T>() throws.
TESSERA_CPP_OP(cpp_wrong_type, call) {
    auto x = call.input(0);
    (void)x.data<float>();
}

static const tessera_op_def cpp_ops[] = {
    {"cpp_mul", 2, 0, 1, TESSERA_MASK_FLOAT, TESSERA_FLAG_SAME_DTYPE | TESSERA_FLAG_SAME_SHAPE, "cpp_mul_backward"},
    {"cpp_mul_backward", 4, 0, 2, TESSERA_MASK_FLOAT, 0, nullptr},
    {"cpp_transpose", 1, 0, 1, TESSERA_MASK(TESSERA_INT64) | TESSERA_MASK(TESSERA_FLOAT64), 0, nullptr},
    {"cpp_sin", 1, 0, 1, TESSERA_MASK(TESSERA_FLOAT64), 0, "cpp_sin_backward"},
    {"cpp_sin_backward", 3, 0, 1, TESSERA_MASK(TESSERA_FLOAT64), 0, "cpp_sin_backward_backward"},
    {"cpp_sin_backward_backward", 5, 0, 3, TESSERA_MASK(TESSERA_FLOAT64), 0, nullptr},
    {"cpp_throws", 1, 0, 1, TESSERA_MASK_ALL, 0, nullptr},
    {"cpp_wrong_type", 1, 0, 1, TESSERA_MASK_ALL, 0, nullptr},
};
TESSERA_DEFINE_EXTENSION(cpp_ops)
