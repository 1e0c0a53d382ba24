// tessera.hpp: C++ classes over tessera.h (C++17).
//
//     #include <tessera.hpp>
//     TESSERA_CPP_OP(square_plus, call) {           // defines extern "C" square_plus
//         auto x = call.input(0);
//         auto y = call.alloc_like(0, x);
//         tessera::dispatch_float(x.dtype(), [&](auto zero) {
//             using T = decltype(zero);
//             auto out = y.span<T>();                    // contiguous output
//             for (int64_t i = 0; i < x.numel(); i++) out[i] = x.flat<T>(i) * x.flat<T>(i);
//         });
//     }
//
// An exception thrown inside the body becomes an error of the op, with its what() as
// the message, instead of crossing the C boundary.
#ifndef TESSERA_HPP
#define TESSERA_HPP

#include "tessera.h"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace tessera {

/// The dtype code of a C++ element type.
template <class T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr int32_t value = TESSERA_BOOL; };
template <> struct dtype_of<uint8_t> { static constexpr int32_t value = TESSERA_UINT8; };
template <> struct dtype_of<int8_t> { static constexpr int32_t value = TESSERA_INT8; };
template <> struct dtype_of<int32_t> { static constexpr int32_t value = TESSERA_INT32; };
template <> struct dtype_of<int64_t> { static constexpr int32_t value = TESSERA_INT64; };
template <> struct dtype_of<float> { static constexpr int32_t value = TESSERA_FLOAT32; };
template <> struct dtype_of<double> { static constexpr int32_t value = TESSERA_FLOAT64; };

/// The error type of ops: thrown, it becomes the op's error message.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A contiguous run of elements (std::span's core, without needing C++20).
template <class T> class Span {
  public:
    Span(T *data, int64_t size) : data_(data), size_(size) {}
    T *data() const { return data_; }
    int64_t size() const { return size_; }
    T &operator[](int64_t i) const { return data_[i]; }
    T *begin() const { return data_; }
    T *end() const { return data_ + size_; }

  private:
    T *data_;
    int64_t size_;
};

/// A non-owning view of a `tessera_tensor` (valid during the call only).
class TensorRef {
  public:
    explicit TensorRef(const tessera_tensor *t) : t_(t) {}
    int32_t dtype() const { return t_->dtype; }
    int32_t ndim() const { return t_->ndim; }
    int64_t size(int32_t d) const { return t_->sizes[check_dim(d)]; }
    int64_t stride(int32_t d) const { return t_->strides[check_dim(d)]; }
    int64_t numel() const { return tessera_numel(t_); }
    bool is_contiguous() const {
        int64_t expected = 1;
        for (int32_t d = t_->ndim - 1; d >= 0; d--) {
            if (t_->sizes[d] != 1 && t_->strides[d] != expected) return false;
            expected *= t_->sizes[d];
        }
        return true;
    }
    const tessera_tensor *raw() const { return t_; }

    /// Pointer to the first element; throws if `T` is not the dtype.
    template <class T> T *data() const {
        if (dtype_of<std::remove_const_t<T>>::value != t_->dtype)
            throw Error("tessera: data<T>() with the wrong element type for dtype code " +
                        std::to_string(t_->dtype));
        return static_cast<T *>(tessera_data_ptr(t_));
    }
    /// The elements as a span; throws unless the view is contiguous.
    template <class T> Span<T> span() const {
        if (!is_contiguous()) throw Error("tessera: span() of a non-contiguous tensor");
        return Span<T>(data<T>(), numel());
    }
    /// The `i`-th element in row-major order, for any strides.
    template <class T> T &flat(int64_t i) const { return data<T>()[tessera_offset_of(t_, i)]; }
    /// The element at the given indices (one per dimension).
    template <class T, class... I> T &at(I... idx) const {
        const int64_t ix[] = {static_cast<int64_t>(idx)...};
        if (static_cast<int32_t>(sizeof...(I)) != t_->ndim)
            throw Error("tessera: at() with " + std::to_string(sizeof...(I)) +
                        " indices for a tensor of " + std::to_string(t_->ndim) + " dims");
        int64_t off = 0;
        for (int32_t d = 0; d < t_->ndim; d++) off += ix[d] * t_->strides[d];
        return data<T>()[off];
    }

  private:
    int32_t check_dim(int32_t d) const {
        if (d < 0) d += t_->ndim;
        if (d < 0 || d >= t_->ndim) throw Error("tessera: dimension out of range");
        return d;
    }
    const tessera_tensor *t_;
};

/// The arguments and outputs of one call.
class Call {
  public:
    explicit Call(tessera_call *c) : c_(c) {}
    int32_t n_inputs() const { return c_->n_inputs; }
    TensorRef input(int32_t i) const {
        if (i < 0 || i >= c_->n_inputs) throw Error("tessera: input index out of range");
        return TensorRef(&c_->inputs[i]);
    }
    double scalar(int32_t i) const {
        if (i < 0 || i >= c_->n_scalars) throw Error("tessera: scalar index out of range");
        return c_->scalars[i];
    }
    /// Allocates output `i` (zero-filled, contiguous); throws with tessera's message.
    TensorRef alloc(int32_t i, int32_t dtype, int32_t ndim, const int64_t *sizes) {
        if (c_->api->alloc_output(c_, i, dtype, ndim, sizes) != TESSERA_OK)
            throw Error(c_->message);
        return TensorRef(&c_->outputs[i]);
    }
    TensorRef alloc_like(int32_t i, const TensorRef &like) {
        return alloc(i, like.dtype(), like.ndim(), like.raw()->sizes);
    }
    TensorRef alloc_as(int32_t i, const TensorRef &like, int32_t dtype) {
        return alloc(i, dtype, like.ndim(), like.raw()->sizes);
    }
    tessera_call *raw() const { return c_; }

  private:
    tessera_call *c_;
};

/// Calls `f(T{})` with `T` the float type of `dtype` (float or double); throws otherwise.
template <class F> void dispatch_float(int32_t dtype, F &&f) {
    switch (dtype) {
    case TESSERA_FLOAT32: f(float{}); break;
    case TESSERA_FLOAT64: f(double{}); break;
    default: throw Error("tessera: expected a float dtype, got code " + std::to_string(dtype));
    }
}

/// Runs `body(Call&)`, turning an exception into the op's status and message.
template <class F> int32_t guarded(tessera_call *c, F &&body) {
    try {
        Call call(c);
        body(call);
        return TESSERA_OK;
    } catch (const std::exception &e) {
        std::strncpy(c->message, e.what(), TESSERA_MESSAGE_SIZE - 1);
        c->message[TESSERA_MESSAGE_SIZE - 1] = '\0';
    } catch (...) {
        std::strncpy(c->message, "unknown C++ exception", TESSERA_MESSAGE_SIZE - 1);
    }
    return TESSERA_ERROR;
}

} // namespace tessera

/// Defines the exported op `name` with the body that follows, given `tessera::Call& var`.
#define TESSERA_CPP_OP(name, var)                                                         \
    static void name##_body(tessera::Call &var);                                          \
    TESSERA_EXPORT int32_t name(tessera_call *c) { return tessera::guarded(c, name##_body); } \
    static void name##_body(tessera::Call &var)

#endif // TESSERA_HPP
