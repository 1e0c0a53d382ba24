/* The cheapest op: allocates its output like its input and returns. Its time is the
 * per-call overhead of an extension op (argument checks, views, locks, the output). */
#include <tessera.h>

TESSERA_EXPORT int32_t noop_alloc(tessera_call *call) {
    return tessera_alloc_like(call, 0, &call->inputs[0]) ? TESSERA_OK : TESSERA_ERROR;
}

static const tessera_op_def ops[] = {{"noop_alloc", 1, 0, 1, TESSERA_MASK_ALL, 0, NULL}};
TESSERA_DEFINE_EXTENSION(ops)
