/* Test ops in C: strided access, several dtypes, autograd, errors. */
#include <math.h>
#include <tessera.h>

/* y = expm1(x) * s, for any strides. */
#define SCALED_EXPM1(T, EXPM1)                                                  \
    {                                                                           \
        const T *xp = (const T *)tessera_data_ptr(x);                           \
        T *yp = (T *)tessera_data_ptr(y);                                       \
        for (int64_t i = 0; i < n; i++)                                         \
            yp[i] = EXPM1(xp[tessera_offset_of(x, i)]) * (T)s;                  \
    }

TESSERA_EXPORT int32_t scaled_expm1(tessera_call *call) {
    const tessera_tensor *x = &call->inputs[0];
    double s = call->scalars[0];
    tessera_tensor *y = tessera_alloc_like(call, 0, x);
    if (!y) return TESSERA_ERROR;
    int64_t n = call->api->numel(x);
    if (x->dtype == TESSERA_FLOAT32) SCALED_EXPM1(float, expm1f)
    else SCALED_EXPM1(double, expm1)
    return TESSERA_OK;
}

/* inputs: g, x, y; d/dx expm1(x) * s = exp(x) * s */
#define SCALED_EXPM1_BW(T, EXP)                                                 \
    {                                                                           \
        const T *gp = (const T *)tessera_data_ptr(g);                           \
        const T *xp = (const T *)tessera_data_ptr(x);                           \
        T *op = (T *)tessera_data_ptr(gx);                                      \
        for (int64_t i = 0; i < n; i++)                                         \
            op[i] = gp[tessera_offset_of(g, i)] * EXP(xp[tessera_offset_of(x, i)]) * (T)s; \
    }

TESSERA_EXPORT int32_t scaled_expm1_backward(tessera_call *call) {
    const tessera_tensor *g = &call->inputs[0], *x = &call->inputs[1];
    double s = call->scalars[0];
    tessera_tensor *gx = tessera_alloc_as(call, 0, x, g->dtype);
    if (!gx) return TESSERA_ERROR;
    int64_t n = tessera_numel(x);
    if (g->dtype == TESSERA_FLOAT32) SCALED_EXPM1_BW(float, expf)
    else SCALED_EXPM1_BW(double, exp)
    return TESSERA_OK;
}

/* a + b elementwise in their (common) dtype, any strides. */
#define ADD(T)                                                                  \
    {                                                                           \
        const T *ap = (const T *)tessera_data_ptr(a), *bp = (const T *)tessera_data_ptr(b); \
        T *op = (T *)tessera_data_ptr(o);                                       \
        for (int64_t i = 0; i < n; i++)                                         \
            op[i] = (T)(ap[tessera_offset_of(a, i)] + bp[tessera_offset_of(b, i)]); \
    }

TESSERA_EXPORT int32_t add_any(tessera_call *call) {
    const tessera_tensor *a = &call->inputs[0], *b = &call->inputs[1];
    tessera_tensor *o = tessera_alloc_like(call, 0, a);
    if (!o) return TESSERA_ERROR;
    int64_t n = tessera_numel(a);
    switch (a->dtype) {
    case TESSERA_UINT8: ADD(uint8_t) break;
    case TESSERA_INT8: ADD(int8_t) break;
    case TESSERA_INT32: ADD(int32_t) break;
    case TESSERA_INT64: ADD(int64_t) break;
    case TESSERA_FLOAT32: ADD(float) break;
    case TESSERA_FLOAT64: ADD(double) break;
    default: return tessera_set_error(call, "add_any: dtype %s", call->api->dtype_name(a->dtype));
    }
    return TESSERA_OK;
}

/* Sum over the last dim of a 2-D float64 tensor; asks for contiguous inputs. */
TESSERA_EXPORT int32_t row_sum(tessera_call *call) {
    const tessera_tensor *x = &call->inputs[0];
    if (x->ndim != 2) return tessera_set_error(call, "row_sum: expected 2 dims, got %d", x->ndim);
    if (!call->api->is_contiguous(x)) return tessera_set_error(call, "row_sum: not contiguous");
    int64_t rows = x->sizes[0], cols = x->sizes[1];
    if (call->api->alloc_output(call, 0, TESSERA_FLOAT64, 1, x->sizes) != TESSERA_OK)
        return TESSERA_ERROR;
    const double *xp = (const double *)tessera_data_ptr(x);
    double *yp = (double *)tessera_data_ptr(&call->outputs[0]);
    for (int64_t r = 0; r < rows; r++) {
        double acc = 0;
        for (int64_t c = 0; c < cols; c++) acc += xp[r * cols + c];
        yp[r] = acc;
    }
    return TESSERA_OK;
}

/* x > 0 as a bool tensor; writes 2 for true (any non-zero byte reads as true). */
TESSERA_EXPORT int32_t is_positive(tessera_call *call) {
    const tessera_tensor *x = &call->inputs[0];
    tessera_tensor *y = tessera_alloc_as(call, 0, x, TESSERA_BOOL);
    if (!y) return TESSERA_ERROR;
    const double *xp = (const double *)tessera_data_ptr(x);
    uint8_t *yp = (uint8_t *)tessera_data_ptr(y);
    for (int64_t i = 0; i < tessera_numel(x); i++) yp[i] = xp[tessera_offset_of(x, i)] > 0 ? 2 : 0;
    return TESSERA_OK;
}

/* log(x), refusing x < 0 with an error message from C. */
TESSERA_EXPORT int32_t checked_log(tessera_call *call) {
    const tessera_tensor *x = &call->inputs[0];
    const double *xp = (const double *)tessera_data_ptr(x);
    for (int64_t i = 0; i < tessera_numel(x); i++)
        if (xp[tessera_offset_of(x, i)] < 0)
            return tessera_set_error(call, "checked_log: negative input %g at element %lld",
                                     xp[tessera_offset_of(x, i)], (long long)i);
    tessera_tensor *y = tessera_alloc_like(call, 0, x);
    if (!y) return TESSERA_ERROR;
    double *yp = (double *)tessera_data_ptr(y);
    for (int64_t i = 0; i < tessera_numel(x); i++) yp[i] = log(xp[tessera_offset_of(x, i)]);
    return TESSERA_OK;
}

/* Returns OK without allocating its output. */
TESSERA_EXPORT int32_t forgets_output(tessera_call *call) { (void)call; return TESSERA_OK; }

/* Asks for an unknown dtype. */
TESSERA_EXPORT int32_t bad_alloc(tessera_call *call) {
    int64_t n = 3;
    return call->api->alloc_output(call, 0, 42, 1, &n);
}

/* Fails with a status and no message. */
TESSERA_EXPORT int32_t silent_failure(tessera_call *call) { (void)call; return 7; }

/* x with no backward (float in, float out). */
TESSERA_EXPORT int32_t no_grad_copy(tessera_call *call) {
    const tessera_tensor *x = &call->inputs[0];
    tessera_tensor *y = tessera_alloc_like(call, 0, x);
    if (!y) return TESSERA_ERROR;
    const double *xp = (const double *)tessera_data_ptr(x);
    double *yp = (double *)tessera_data_ptr(y);
    for (int64_t i = 0; i < tessera_numel(x); i++) yp[i] = xp[tessera_offset_of(x, i)];
    return TESSERA_OK;
}

static const tessera_op_def ops[] = {
    {"scaled_expm1", 1, 1, 1, TESSERA_MASK_FLOAT, 0, "scaled_expm1_backward"},
    {"scaled_expm1_backward", 3, 1, 1, TESSERA_MASK_FLOAT, 0, NULL},
    {"add_any", 2, 0, 1, TESSERA_MASK_INT | TESSERA_MASK_FLOAT,
     TESSERA_FLAG_SAME_DTYPE | TESSERA_FLAG_SAME_SHAPE, NULL},
    {"row_sum", 1, 0, 1, TESSERA_MASK(TESSERA_FLOAT64), TESSERA_FLAG_CONTIGUOUS, NULL},
    {"is_positive", 1, 0, 1, TESSERA_MASK(TESSERA_FLOAT64), 0, NULL},
    {"checked_log", 1, 0, 1, TESSERA_MASK(TESSERA_FLOAT64), 0, NULL},
    {"forgets_output", 1, 0, 1, TESSERA_MASK_ALL, 0, NULL},
    {"bad_alloc", 0, 0, 1, TESSERA_MASK_ALL, 0, NULL},
    {"silent_failure", 0, 0, 1, TESSERA_MASK_ALL, 0, NULL},
    {"no_grad_copy", 1, 0, 1, TESSERA_MASK(TESSERA_FLOAT64), 0, NULL},
};
TESSERA_DEFINE_EXTENSION(ops)
