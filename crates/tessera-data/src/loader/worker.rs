//! Worker threads: [`get_worker_info`], and the pool that runs fetchers.

use super::fetch::{loader_error, panic_message, FetcherFactory};
use crossbeam_channel::{unbounded, Receiver, Sender};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tessera_core::{Generator, Result};

/// What a loader worker thread knows about itself (`torch.utils.data.get_worker_info()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerInfo {
    /// This worker's id, in `0..num_workers`.
    pub id: usize,
    /// The number of workers of the loader.
    pub num_workers: usize,
    /// This worker's seed: the epoch's base seed plus `id` (with persistent workers, the
    /// base seed of the epoch that started them).
    pub seed: u64,
}

impl WorkerInfo {
    /// A generator seeded with [`WorkerInfo::seed`], for per-worker randomness
    /// (augmentations) that is the same from run to run.
    pub fn generator(&self) -> Generator {
        Generator::new(self.seed)
    }
}

thread_local! {
    static WORKER: RefCell<Option<WorkerInfo>> = const { RefCell::new(None) };
}

/// The current loader worker's [`WorkerInfo`], or `None` outside worker threads (in the
/// main thread, also when a loader has `num_workers = 0`), as in PyTorch.
///
/// An [`crate::IterableDataset`] uses it to shard its stream between workers; see the
/// example there.
pub fn get_worker_info() -> Option<WorkerInfo> {
    WORKER.with(|w| w.borrow().clone())
}

/// A request to a worker: batch `seq` of epoch run `run`.
pub(crate) struct Task {
    pub(crate) run: u64,
    pub(crate) seq: usize,
    pub(crate) indices: Vec<usize>,
}

/// A worker's answer: `None` when an iterable worker's stream is exhausted.
pub(crate) struct Reply<Out> {
    pub(crate) run: u64,
    pub(crate) seq: usize,
    pub(crate) worker: usize,
    pub(crate) batch: Option<Result<Out>>,
}

/// Counts live worker threads, so that dropping a pool can wait for them.
struct Alive {
    count: Mutex<usize>,
    zero: Condvar,
}

/// Decrements [`Alive`] when a worker thread ends, even by a panic.
struct AliveGuard(Arc<Alive>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        let mut n = self.0.count.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        self.0.zero.notify_all();
    }
}

/// The worker threads of a loader, each with its own task queue and one shared reply
/// queue.
pub(crate) struct Pool<Out> {
    tasks: Vec<Sender<Task>>,
    pub(crate) replies: Receiver<Reply<Out>>,
    handles: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    alive: Arc<Alive>,
    /// How long dropping the pool waits for busy workers before leaving them to finish
    /// on their own.
    drop_wait: Duration,
}

impl<Out: Send + 'static> Pool<Out> {
    /// Starts `num_workers` threads; worker `k` has seed `base_seed + k`.
    pub(crate) fn start(
        num_workers: usize,
        base_seed: u64,
        factory: FetcherFactory<Out>,
        worker_init_fn: Option<Arc<dyn Fn(usize) + Send + Sync>>,
        drop_wait: Duration,
        iterable: bool,
    ) -> Pool<Out> {
        let (reply_tx, replies) = unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let alive = Arc::new(Alive {
            count: Mutex::new(num_workers),
            zero: Condvar::new(),
        });
        let mut tasks = Vec::with_capacity(num_workers);
        let mut handles = Vec::with_capacity(num_workers);
        for id in 0..num_workers {
            let (task_tx, task_rx) = unbounded::<Task>();
            tasks.push(task_tx);
            let info = WorkerInfo {
                id,
                num_workers,
                seed: base_seed.wrapping_add(id as u64),
            };
            let (factory, init, reply_tx) =
                (factory.clone(), worker_init_fn.clone(), reply_tx.clone());
            let (stop, guard) = (stop.clone(), AliveGuard(alive.clone()));
            let handle = std::thread::Builder::new()
                .name(format!("tessera-data-worker-{id}"))
                .spawn(move || {
                    let _guard = guard;
                    worker_loop(info, factory, init, task_rx, reply_tx, &stop, iterable);
                })
                .expect("DataLoader: failed to spawn a worker thread");
            handles.push(handle);
        }
        Pool {
            tasks,
            replies,
            handles,
            stop,
            alive,
            drop_wait,
        }
    }

    /// Sends a task to worker `worker`.
    pub(crate) fn send(&self, worker: usize, task: Task) {
        // A worker only stops when the pool is dropped, so the send cannot fail here.
        let _ = self.tasks[worker].send(task);
    }

    /// The number of workers.
    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }
}

impl<Out> Drop for Pool<Out> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.tasks.clear(); // workers see their queue close
        let deadline = Instant::now() + self.drop_wait;
        let mut n = self.alive.count.lock().unwrap_or_else(|e| e.into_inner());
        while *n > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // A worker stuck in an item: leave it to end on its own.
                return;
            }
            n = self
                .alive
                .zero
                .wait_timeout(n, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(n);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn worker_loop<Out: Send + 'static>(
    info: WorkerInfo,
    factory: FetcherFactory<Out>,
    init: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    tasks: Receiver<Task>,
    replies: Sender<Reply<Out>>,
    stop: &AtomicBool,
    iterable: bool,
) {
    let id = info.id;
    WORKER.with(|w| *w.borrow_mut() = Some(info));
    let mut failure = None;
    if let Some(f) = init {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(id))) {
            failure = Some(format!(
                "worker_init_fn panicked: {}",
                panic_message(p.as_ref())
            ));
        }
    }
    let mut fetcher = match catch_unwind(AssertUnwindSafe(|| factory())) {
        Ok(f) => Some(f),
        Err(p) => {
            failure.get_or_insert(format!(
                "starting the worker panicked: {}",
                panic_message(p.as_ref())
            ));
            None
        }
    };
    let mut run = None;
    for task in tasks {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let new_run = run != Some(task.run);
        run = Some(task.run);
        let batch = match (&failure, fetcher.as_mut()) {
            // Every batch of a map-style loader fails; a stream fails once per epoch.
            (Some(m), _) if new_run || !iterable => Some(Err(loader_error(m))),
            (Some(_), _) => None,
            (None, Some(f)) => {
                if new_run {
                    f.start_epoch();
                }
                f.fetch(&task.indices, stop)
            }
            (None, None) => unreachable!("a worker without a fetcher has a failure"),
        };
        let reply = Reply {
            run: task.run,
            seq: task.seq,
            worker: id,
            batch,
        };
        if replies.send(reply).is_err() {
            break;
        }
    }
}
