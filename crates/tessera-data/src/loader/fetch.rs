//! Fetchers: what one worker (or the main thread, with no workers) runs to make a
//! batch, for map-style and iterable datasets. Errors and panics of items become
//! `Err`s that name the index.

use super::worker::get_worker_info;
use crate::{Dataset, IterableDataset};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tessera_core::{Error, Result};

/// A collate function: items to a batch.
pub(crate) type CollateFn<Item, Out> = dyn Fn(Vec<Item>) -> Result<Out> + Send + Sync;

/// Makes batches in one thread.
pub(crate) trait Fetcher<Out>: Send {
    /// A new epoch begins (an iterable dataset starts a new pass).
    fn start_epoch(&mut self);
    /// The batch for `indices` (map-style), or the next batch of the stream (iterable;
    /// `None` when the stream is exhausted). `stop` is set when the loader is dropped.
    fn fetch(&mut self, indices: &[usize], stop: &AtomicBool) -> Option<Result<Out>>;
}

/// Makes a fetcher for each worker thread.
pub(crate) type FetcherFactory<Out> = Arc<dyn Fn() -> Box<dyn Fetcher<Out>> + Send + Sync>;

/// The text of a panic payload.
pub(crate) fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

/// `" (in DataLoader worker 1)"` inside a worker, else `""`.
fn where_() -> String {
    get_worker_info()
        .map(|w| format!(" (in DataLoader worker {})", w.id))
        .unwrap_or_default()
}

/// A loader error with the worker's id appended.
pub(crate) fn loader_error(message: impl std::fmt::Display) -> Error {
    Error::Msg(format!("DataLoader: {message}{}", where_()))
}

/// Runs `f`, turning a panic into an `Err` described by `what`.
fn guarded<T>(what: impl FnOnce() -> String, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(loader_error(format!(
            "{} panicked: {}",
            what(),
            panic_message(p.as_ref())
        ))),
    }
}

/// The fetcher of a map-style dataset.
pub(crate) struct MapFetcher<D: Dataset + ?Sized, Out> {
    pub(crate) dataset: Arc<D>,
    pub(crate) collate: Arc<CollateFn<D::Item, Out>>,
    /// Whether `collate` is the default one and items collate to their own type, so
    /// that [`Dataset::get_batch_collated`] can stand in for it.
    pub(crate) collated_hook: bool,
}

/// `a` as a `B`, when `A` and `B` are the same type.
fn same_type<A: 'static, B: 'static>(a: A) -> Option<B> {
    let mut slot = Some(a);
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<B>>()
        .and_then(Option::take)
}

impl<D: Dataset + ?Sized, Out> MapFetcher<D, Out> {
    fn items(&self, indices: &[usize], stop: &AtomicBool) -> Result<Vec<D::Item>> {
        let batched = guarded(
            || format!("get_batch of dataset indices {indices:?}"),
            || Ok(self.dataset.get_batch(indices)),
        )?;
        if let Some(r) = batched {
            return r.map_err(|e| {
                loader_error(format!(
                    "get_batch of dataset indices {indices:?} failed: {e}"
                ))
            });
        }
        let mut items = Vec::with_capacity(indices.len());
        for &i in indices {
            if stop.load(Ordering::Relaxed) {
                return Err(loader_error("stopped"));
            }
            let item = guarded(
                || format!("dataset index {i}"),
                || {
                    self.dataset
                        .get(i)
                        .map_err(|e| loader_error(format!("dataset index {i} failed: {e}")))
                },
            )?;
            items.push(item);
        }
        Ok(items)
    }
}

impl<D: Dataset + ?Sized, Out: Send + 'static> Fetcher<Out> for MapFetcher<D, Out> {
    fn start_epoch(&mut self) {}

    fn fetch(&mut self, indices: &[usize], stop: &AtomicBool) -> Option<Result<Out>> {
        if self.collated_hook {
            let batch = guarded(
                || format!("get_batch_collated of dataset indices {indices:?}"),
                || Ok(self.dataset.get_batch_collated(indices)),
            );
            match batch {
                Ok(None) => {}
                Ok(Some(r)) => {
                    return Some(
                        r.map(|b| same_type(b).expect("checked when the loader was built"))
                            .map_err(|e| {
                                loader_error(format!(
                                    "get_batch_collated of dataset indices {indices:?} failed: {e}"
                                ))
                            }),
                    )
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let r = self.items(indices, stop).and_then(|items| {
            guarded(
                || format!("collate_fn on dataset indices {indices:?}"),
                || (self.collate)(items),
            )
        });
        Some(r)
    }
}

/// The fetcher of an iterable dataset: batches of `batch_size` consecutive items of
/// this thread's pass over the stream.
pub(crate) struct IterFetcher<D: IterableDataset + ?Sized, Out> {
    pub(crate) dataset: Arc<D>,
    pub(crate) collate: Arc<CollateFn<D::Item, Out>>,
    /// `None`: unbatched, one item per "batch".
    pub(crate) batch_size: Option<usize>,
    pub(crate) drop_last: bool,
    pub(crate) stream: Option<Box<dyn Iterator<Item = Result<D::Item>> + Send>>,
    /// Items read from the stream so far in this pass.
    pub(crate) position: usize,
    pub(crate) exhausted: bool,
    /// The panic message of a failed `iter()`, reported by the next fetch.
    pub(crate) start_error: Option<String>,
}

impl<D: IterableDataset + ?Sized, Out> IterFetcher<D, Out> {
    pub(crate) fn new(
        dataset: Arc<D>,
        collate: Arc<CollateFn<D::Item, Out>>,
        batch_size: Option<usize>,
        drop_last: bool,
    ) -> Self {
        IterFetcher {
            dataset,
            collate,
            batch_size,
            drop_last,
            stream: None,
            position: 0,
            exhausted: true,
            start_error: None,
        }
    }

    /// The next item, `None` at the end; a panic ends the stream.
    fn next_item(&mut self) -> Option<Result<D::Item>> {
        let stream = self.stream.as_mut()?;
        let at = self.position;
        match catch_unwind(AssertUnwindSafe(|| stream.next())) {
            Ok(Some(r)) => {
                self.position += 1;
                Some(r.map_err(|e| loader_error(format!("item {at} of the stream failed: {e}"))))
            }
            Ok(None) => None,
            Err(p) => {
                self.stream = None;
                Some(Err(loader_error(format!(
                    "item {at} of the stream panicked: {}",
                    panic_message(p.as_ref())
                ))))
            }
        }
    }
}

impl<D: IterableDataset + ?Sized, Out: Send> Fetcher<Out> for IterFetcher<D, Out> {
    fn start_epoch(&mut self) {
        self.position = 0;
        self.exhausted = false;
        let dataset = &self.dataset;
        match catch_unwind(AssertUnwindSafe(|| dataset.iter())) {
            Ok(s) => self.stream = Some(s),
            Err(p) => {
                self.stream = None;
                self.start_error = Some(panic_message(p.as_ref()));
            }
        }
    }

    fn fetch(&mut self, _indices: &[usize], _stop: &AtomicBool) -> Option<Result<Out>> {
        if self.exhausted {
            return None;
        }
        if let Some(m) = self.start_error.take() {
            self.exhausted = true;
            return Some(Err(loader_error(format!(
                "IterableDataset::iter panicked: {m}"
            ))));
        }
        let want = self.batch_size.unwrap_or(1);
        let mut items = Vec::with_capacity(want);
        while items.len() < want {
            match self.next_item() {
                Some(Ok(x)) => items.push(x),
                Some(Err(e)) => return Some(Err(e)),
                None => break,
            }
        }
        if items.len() < want {
            self.exhausted = true;
            if items.is_empty() || self.drop_last {
                return None;
            }
        }
        Some(guarded(
            || "collate_fn on a batch of the stream".to_string(),
            || (self.collate)(items),
        ))
    }
}
