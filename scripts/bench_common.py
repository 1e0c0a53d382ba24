"""Timing loops shared by the benchmark scripts, the same as the Rust side's
(`crates/tessera/examples/common/mod.rs`): per-call seconds over timed batches."""
import time


def _batches(iters, reps, f):
    f()
    v = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(iters):
            f()
        v.append((time.perf_counter() - t) / iters)
    return v


def median(iters, reps, f):
    """Median seconds per call over `reps` batches of `iters` calls."""
    v = sorted(_batches(iters, reps, f))
    return v[reps // 2]


def best(iters, reps, f):
    """Best seconds per call over `reps` batches of `iters` calls."""
    return min(_batches(iters, reps, f))
