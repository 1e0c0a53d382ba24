/*
 * tessera.h: the C ABI of tessera's extensions (tessera::extension).
 *
 * An extension is a shared library that exports one function,
 * `tessera_extension_def`, returning a table of ops. Each op is an `extern "C"`
 * function of type `tessera_op_fn` that tessera looks up by its name.
 *
 *     #include <tessera.h>
 *     TESSERA_EXPORT int32_t twice(tessera_call *call) {
 *         const tessera_tensor *x = &call->inputs[0];
 *         tessera_tensor *y = tessera_alloc_like(call, 0, x);   // contiguous, same shape
 *         if (!y) return TESSERA_ERROR;
 *         ...
 *         return TESSERA_OK;
 *     }
 *     static const tessera_op_def ops[] = {
 *         {"twice", 1, 0, 1, TESSERA_MASK_FLOAT, 0, NULL},
 *     };
 *     TESSERA_DEFINE_EXTENSION(ops)
 *
 * Everything here is plain C99; tessera.hpp adds C++ classes on top.
 * The layout of every struct is part of TESSERA_ABI_VERSION: a library built
 * against another version is refused at load time.
 */
#ifndef TESSERA_H
#define TESSERA_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

#define TESSERA_ABI_VERSION 1

#ifdef __cplusplus
#define TESSERA_EXTERN_C extern "C"
#else
#define TESSERA_EXTERN_C
#endif
#if defined(_WIN32)
#define TESSERA_EXPORT TESSERA_EXTERN_C __declspec(dllexport)
#else
#define TESSERA_EXPORT TESSERA_EXTERN_C __attribute__((visibility("default")))
#endif

/* Status codes returned by ops and by the functions of `tessera_api`. */
#define TESSERA_OK 0
#define TESSERA_ERROR 1

/* Dtype codes (the order of tessera's DType). Bool elements are one byte, 0 or 1. */
typedef enum tessera_dtype {
    TESSERA_BOOL = 0,
    TESSERA_UINT8 = 1,
    TESSERA_INT8 = 2,
    TESSERA_INT32 = 3,
    TESSERA_INT64 = 4,
    TESSERA_FLOAT32 = 5,
    TESSERA_FLOAT64 = 6
} tessera_dtype;

/* Masks of dtypes an op takes (`tessera_op_def.dtypes`). */
#define TESSERA_MASK(code) (1u << (code))
#define TESSERA_MASK_FLOAT (TESSERA_MASK(TESSERA_FLOAT32) | TESSERA_MASK(TESSERA_FLOAT64))
#define TESSERA_MASK_INT                                                                  \
    (TESSERA_MASK(TESSERA_UINT8) | TESSERA_MASK(TESSERA_INT8) | TESSERA_MASK(TESSERA_INT32) | \
     TESSERA_MASK(TESSERA_INT64))
#define TESSERA_MASK_ALL 0x7Fu

/* Flags of `tessera_op_def.flags`. */
/* Inputs are made contiguous (copied if needed) before the call. */
#define TESSERA_FLAG_CONTIGUOUS 1u
/* All tensor inputs must have the same dtype. */
#define TESSERA_FLAG_SAME_DTYPE 2u
/* All tensor inputs must have the same shape. */
#define TESSERA_FLAG_SAME_SHAPE 4u

/*
 * A view of a tensor. Element i of a tensor with indices (i0, ..., in) is at
 *     (char *)data + byte_offset + elem_size * (i0 * strides[0] + ... + in * strides[n])
 * `strides` are in elements and never negative; `sizes` and `strides` have `ndim`
 * entries. Input views are read-only: an op must not write through them.
 * An output that an op did not allocate has `data == NULL`.
 */
typedef struct tessera_tensor {
    void *data;             /* start of the storage */
    int64_t byte_offset;    /* bytes from `data` to the first element */
    int32_t dtype;          /* a tessera_dtype */
    int32_t ndim;
    const int64_t *sizes;
    const int64_t *strides; /* in elements */
} tessera_tensor;

typedef struct tessera_call tessera_call;

/* Functions tessera offers to C code (`call->api`). Each returns a status or a value. */
typedef struct tessera_api {
    uint32_t abi_version;   /* TESSERA_ABI_VERSION of the tessera that made the call */
    uint32_t struct_size;   /* sizeof(tessera_api) on tessera's side */
    /* Allocates output `index` as a zero-filled contiguous tensor of the given dtype and
     * shape, and fills `call->outputs[index]`. On failure writes the reason into
     * `call->message` and returns TESSERA_ERROR. */
    int32_t (*alloc_output)(tessera_call *call, int32_t index, int32_t dtype, int32_t ndim,
                            const int64_t *sizes);
    /* Number of elements of a view. */
    int64_t (*numel)(const tessera_tensor *t);
    /* 1 if the view is row-major without gaps, else 0. */
    int32_t (*is_contiguous)(const tessera_tensor *t);
    /* Size in bytes of one element of `dtype`, 0 for an unknown code. */
    int64_t (*element_size)(int32_t dtype);
    /* PyTorch's name of a dtype ("torch.float32"), "unknown" for an unknown code. */
    const char *(*dtype_name)(int32_t dtype);
} tessera_api;

#define TESSERA_MESSAGE_SIZE 1024

/* One call of an op: its arguments, its outputs, and room for an error message. */
struct tessera_call {
    const tessera_tensor *inputs;
    int32_t n_inputs;
    int32_t n_scalars;
    const double *scalars;
    tessera_tensor *outputs;   /* n_outputs views; allocate them with api->alloc_output */
    int32_t n_outputs;
    int32_t reserved;
    const tessera_api *api;
    void *context;             /* tessera's; do not touch */
    char message[TESSERA_MESSAGE_SIZE]; /* an error message, NUL-terminated */
};

/* An op: returns TESSERA_OK, or TESSERA_ERROR with a message in `call->message`. */
typedef int32_t (*tessera_op_fn)(tessera_call *call);

/*
 * The description of one op. tessera looks the function up by `name` (so it must be
 * exported under that name: TESSERA_EXPORT), and checks the arguments against it
 * before every call: the number of tensor inputs and of scalars, each input's dtype
 * against `dtypes`, and `flags`.
 *
 * `backward` names another op of the table (or is NULL): its inputs are the gradient
 * of the output, then the forward's inputs, then the forward's output; its scalars are
 * the forward's; it has one output per forward input (the gradient, of that input's
 * shape; leave an output unallocated for "no gradient"). An op with a backward has one
 * output, of a float dtype.
 */
typedef struct tessera_op_def {
    const char *name;
    int32_t n_inputs;
    int32_t n_scalars;
    int32_t n_outputs;
    uint32_t dtypes;          /* TESSERA_MASK(...) of the dtypes each input may have */
    uint32_t flags;           /* TESSERA_FLAG_... */
    const char *backward;     /* NULL: not differentiable */
} tessera_op_def;

/* What `tessera_extension_def` returns. */
typedef struct tessera_extension {
    uint32_t abi_version;     /* TESSERA_ABI_VERSION the library was built with */
    uint32_t n_ops;
    const tessera_op_def *ops;
} tessera_extension;

/* The one exported table of an extension. */
#define TESSERA_DEFINE_EXTENSION(ops_array)                                               \
    TESSERA_EXPORT const tessera_extension *tessera_extension_def(void) {                 \
        static const tessera_extension ext = {                                            \
            TESSERA_ABI_VERSION, (uint32_t)(sizeof(ops_array) / sizeof((ops_array)[0])),  \
            (ops_array)};                                                                 \
        return &ext;                                                                      \
    }

/* ---- helpers (header-only) ---- */

/* Writes a printf-style message into `call->message`; returns TESSERA_ERROR. */
static inline int32_t tessera_set_error(tessera_call *call, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->message, TESSERA_MESSAGE_SIZE, fmt, ap);
    va_end(ap);
    return TESSERA_ERROR;
}

/* Pointer to the first element of a view. */
static inline void *tessera_data_ptr(const tessera_tensor *t) {
    return (char *)t->data + t->byte_offset;
}

/* Number of elements of a view. */
static inline int64_t tessera_numel(const tessera_tensor *t) {
    int64_t n = 1;
    for (int32_t d = 0; d < t->ndim; d++) n *= t->sizes[d];
    return n;
}

/* Element offset (in elements, from the first element) of the `linear`-th element in
 * row-major order: walks a strided view in the order of a contiguous one. */
static inline int64_t tessera_offset_of(const tessera_tensor *t, int64_t linear) {
    int64_t off = 0;
    for (int32_t d = t->ndim - 1; d >= 0; d--) {
        int64_t n = t->sizes[d];
        off += (linear % n) * t->strides[d];
        linear /= n;
    }
    return off;
}

/* Allocates output `index` with the shape of `like` and dtype `dtype`; NULL (with the
 * message set) on failure. */
static inline tessera_tensor *tessera_alloc_as(tessera_call *call, int32_t index,
                                               const tessera_tensor *like, int32_t dtype) {
    if (call->api->alloc_output(call, index, dtype, like->ndim, like->sizes) != TESSERA_OK)
        return NULL;
    return &call->outputs[index];
}

/* Allocates output `index` with the shape and dtype of `like`. */
static inline tessera_tensor *tessera_alloc_like(tessera_call *call, int32_t index,
                                                 const tessera_tensor *like) {
    return tessera_alloc_as(call, index, like, like->dtype);
}

#endif /* TESSERA_H */
