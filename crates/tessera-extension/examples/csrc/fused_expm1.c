/* A fused y = expm1(x) * scale in C, with its gradient: one pass over memory instead
 * of two ops and a temporary. Works on any strides, with a fast path for contiguous
 * inputs. */
#include <math.h>
#include <tessera.h>

#define FORWARD(T, EXPM1)                                                          \
    {                                                                              \
        const T *xp = (const T *)tessera_data_ptr(x);                              \
        T *yp = (T *)tessera_data_ptr(y);                                          \
        const T s = (T)scale;                                                      \
        if (call->api->is_contiguous(x))                                           \
            for (int64_t i = 0; i < n; i++) yp[i] = EXPM1(xp[i]) * s;              \
        else                                                                       \
            for (int64_t i = 0; i < n; i++) yp[i] = EXPM1(xp[tessera_offset_of(x, i)]) * s; \
    }

TESSERA_EXPORT int32_t fused_expm1(tessera_call *call) {
    const tessera_tensor *x = &call->inputs[0];
    const double scale = call->scalars[0];
    tessera_tensor *y = tessera_alloc_like(call, 0, x);
    if (!y) return TESSERA_ERROR;
    const int64_t n = tessera_numel(x);
    if (x->dtype == TESSERA_FLOAT32) FORWARD(float, expm1f)
    else FORWARD(double, expm1)
    return TESSERA_OK;
}

/* Inputs (grad, x, y): d/dx expm1(x) * scale = (y + scale), exact from the output. */
#define BACKWARD(T)                                                                \
    {                                                                              \
        const T *gp = (const T *)tessera_data_ptr(g), *yp = (const T *)tessera_data_ptr(y); \
        T *op = (T *)tessera_data_ptr(gx);                                         \
        for (int64_t i = 0; i < n; i++)                                            \
            op[i] = gp[tessera_offset_of(g, i)] * (yp[tessera_offset_of(y, i)] + (T)scale); \
    }

TESSERA_EXPORT int32_t fused_expm1_backward(tessera_call *call) {
    const tessera_tensor *g = &call->inputs[0], *x = &call->inputs[1], *y = &call->inputs[2];
    const double scale = call->scalars[0];
    tessera_tensor *gx = tessera_alloc_as(call, 0, x, g->dtype);
    if (!gx) return TESSERA_ERROR;
    const int64_t n = tessera_numel(x);
    if (g->dtype == TESSERA_FLOAT32) BACKWARD(float)
    else BACKWARD(double)
    return TESSERA_OK;
}

static const tessera_op_def ops[] = {
    {"fused_expm1", 1, 1, 1, TESSERA_MASK_FLOAT, 0, "fused_expm1_backward"},
    {"fused_expm1_backward", 3, 1, 1, TESSERA_MASK_FLOAT, TESSERA_FLAG_SAME_DTYPE, NULL},
};
TESSERA_DEFINE_EXTENSION(ops)
