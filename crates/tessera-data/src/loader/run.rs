//! One epoch of a loader: sending batches to workers (or fetching them in the calling
//! thread), putting replies in order, timeouts, and what was delivered.

use super::fetch::{loader_error, Fetcher};
use super::state::LoaderState;
use super::worker::{Pool, Reply, Task};
use crossbeam_channel::RecvTimeoutError;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tessera_core::Result;

/// What [`Run::new`] needs.
pub(crate) struct RunSetup<Out> {
    pub(crate) id: u64,
    pub(crate) start: LoaderState,
    /// The epoch's batches of indices; `None` for an iterable dataset.
    pub(crate) batches: Option<Box<dyn Iterator<Item = Vec<usize>> + Send>>,
    /// Positions delivered before a resume.
    pub(crate) skip: Vec<usize>,
    /// Workers for this epoch only (not persistent).
    pub(crate) own_pool: Option<Pool<Out>>,
    /// The calling thread's fetcher when there are no workers.
    pub(crate) inline: Option<Box<dyn Fetcher<Out>>>,
    pub(crate) num_workers: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) in_order: bool,
    pub(crate) timeout: Option<Duration>,
    /// The length of the progress bar, when one is shown.
    pub(crate) progress: Option<usize>,
}

/// A received batch: the worker and its answer (`None`: the worker's stream ended).
type Received<Out> = (usize, Option<Result<Out>>);

/// One epoch in progress.
pub(crate) struct Run<Out> {
    id: u64,
    start: LoaderState,
    batches: Option<Box<dyn Iterator<Item = Vec<usize>> + Send>>,
    skip: HashSet<usize>,
    delivered: Vec<usize>,
    own_pool: Option<Pool<Out>>,
    inline: Option<Box<dyn Fetcher<Out>>>,
    inline_started: bool,
    max_in_flight: usize,
    in_order: bool,
    timeout: Option<Duration>,
    bar: Option<ProgressBar>,
    /// The position of the next batch to send.
    next_seq: usize,
    /// No more batches to send: the sampler is exhausted, or every stream ended.
    source_done: bool,
    /// Batches sent and not yet delivered, in the order they were sent.
    sent: VecDeque<(usize, usize)>,
    /// Replies not yet delivered, and the order they arrived in.
    buffer: HashMap<usize, Received<Out>>,
    arrived: VecDeque<usize>,
    /// Batches each worker holds.
    outstanding: Vec<usize>,
    /// Iterable datasets: the workers whose stream has not ended.
    active: Vec<bool>,
    cursor: usize,
}

impl<Out: Send + 'static> Run<Out> {
    pub(crate) fn new(s: RunSetup<Out>) -> Run<Out> {
        let bar = s.progress.map(|n| {
            let bar = ProgressBar::new(n as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} batches [{elapsed} < {eta}]")
            {
                bar.set_style(style);
            }
            bar
        });
        Run {
            id: s.id,
            start: s.start,
            batches: s.batches,
            skip: s.skip.iter().copied().collect(),
            delivered: s.skip,
            own_pool: s.own_pool,
            inline: s.inline,
            inline_started: false,
            max_in_flight: s.max_in_flight,
            in_order: s.in_order,
            timeout: s.timeout,
            bar,
            next_seq: 0,
            source_done: false,
            sent: VecDeque::new(),
            buffer: HashMap::new(),
            arrived: VecDeque::new(),
            outstanding: vec![0; s.num_workers],
            active: vec![true; s.num_workers],
            cursor: 0,
        }
    }

    /// The number of batches of this epoch delivered (including before a resume).
    pub(crate) fn delivered(&self) -> usize {
        self.delivered.len()
    }

    /// The state to resume from.
    pub(crate) fn state(&self) -> LoaderState {
        let mut delivered = self.delivered.clone();
        delivered.sort_unstable();
        LoaderState {
            delivered,
            ..self.start.clone()
        }
    }

    /// The next batch, or `None` at the end of the epoch.
    pub(crate) fn next(&mut self, shared: Option<&Pool<Out>>) -> Option<Result<Out>> {
        if self.inline.is_some() {
            return self.next_inline();
        }
        let own = self.own_pool.take();
        let pool = own
            .as_ref()
            .or(shared)
            .expect("a loader with workers has a pool");
        let r = self.next_from(pool);
        self.own_pool = own;
        r
    }

    fn finish(&mut self) -> Option<Result<Out>> {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
        None
    }

    fn mark(&mut self, seq: usize) {
        self.delivered.push(seq);
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn next_inline(&mut self) -> Option<Result<Out>> {
        let fetcher = self.inline.as_mut().expect("checked by the caller");
        if !self.inline_started {
            fetcher.start_epoch();
            self.inline_started = true;
        }
        let never = AtomicBool::new(false);
        loop {
            let seq = self.next_seq;
            let indices = match self.batches.as_mut() {
                Some(batches) => match batches.next() {
                    Some(b) => b,
                    None => return self.finish(),
                },
                None => Vec::new(),
            };
            self.next_seq += 1;
            let skipped = self.skip.contains(&seq);
            if skipped && self.batches.is_some() {
                continue; // a map-style batch need not be read to be skipped
            }
            let fetcher = self.inline.as_mut().expect("checked by the caller");
            match fetcher.fetch(&indices, &never) {
                None => return self.finish(),
                Some(_) if skipped => continue,
                Some(r) => {
                    self.mark(seq);
                    return Some(r);
                }
            }
        }
    }

    /// Sends batches until `max_in_flight` are out or there are no more.
    fn fill(&mut self, pool: &Pool<Out>) {
        let workers = pool.len();
        while self.sent.len() < self.max_in_flight && !self.source_done {
            let seq = self.next_seq;
            let (indices, worker) = match self.batches.as_mut() {
                Some(batches) => {
                    let Some(indices) = batches.next() else {
                        self.source_done = true;
                        break;
                    };
                    self.next_seq += 1;
                    if self.skip.contains(&seq) {
                        continue;
                    }
                    let worker = if self.in_order {
                        seq % workers
                    } else {
                        // The least busy worker, ties broken round-robin.
                        let w = (0..workers)
                            .map(|k| (self.cursor + k) % workers)
                            .min_by_key(|&w| self.outstanding[w])
                            .expect("at least one worker");
                        self.cursor = (w + 1) % workers;
                        w
                    };
                    (indices, worker)
                }
                None => {
                    let Some(worker) = (0..workers)
                        .map(|k| (self.cursor + k) % workers)
                        .find(|&w| self.active[w])
                    else {
                        self.source_done = true;
                        break;
                    };
                    self.cursor = (worker + 1) % workers;
                    self.next_seq += 1;
                    (Vec::new(), worker)
                }
            };
            pool.send(
                worker,
                Task {
                    run: self.id,
                    seq,
                    indices,
                },
            );
            self.sent.push_back((seq, worker));
            self.outstanding[worker] += 1;
        }
    }

    /// Takes a received batch: `None` when there is nothing to deliver (a stream's end,
    /// or a batch delivered before a resume).
    fn accept(&mut self, seq: usize, (worker, batch): Received<Out>) -> Option<Result<Out>> {
        match batch {
            None => {
                self.active[worker] = false;
                None
            }
            Some(_) if self.skip.contains(&seq) => None,
            Some(r) => {
                self.mark(seq);
                Some(r)
            }
        }
    }

    /// A batch received and ready to deliver in the configured order.
    fn ready(&mut self) -> Option<(usize, Received<Out>)> {
        if self.in_order {
            let &(seq, _) = self.sent.front()?;
            let r = self.buffer.remove(&seq)?;
            self.sent.pop_front();
            Some((seq, r))
        } else {
            let seq = self.arrived.pop_front()?;
            let r = self
                .buffer
                .remove(&seq)
                .expect("arrived batches are buffered");
            self.sent.retain(|&(s, _)| s != seq);
            Some((seq, r))
        }
    }

    fn next_from(&mut self, pool: &Pool<Out>) -> Option<Result<Out>> {
        loop {
            self.fill(pool);
            while let Some((seq, received)) = self.ready() {
                let batch = self.accept(seq, received);
                self.fill(pool);
                if let Some(r) = batch {
                    return Some(r);
                }
            }
            if self.sent.is_empty() {
                if self.source_done {
                    return self.finish();
                }
                continue;
            }
            let reply: std::result::Result<Reply<Out>, RecvTimeoutError> = match self.timeout {
                Some(t) => pool.replies.recv_timeout(t),
                None => pool
                    .replies
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
            };
            match reply {
                Ok(r) if r.run != self.id => {} // from an abandoned epoch
                Ok(r) => {
                    self.outstanding[r.worker] -= 1;
                    self.buffer.insert(r.seq, (r.worker, r.batch));
                    self.arrived.push_back(r.seq);
                }
                Err(RecvTimeoutError::Timeout) => {
                    let (seq, worker) = self.sent.front().copied().expect("a batch is out");
                    let t = self.timeout.expect("a timeout is set");
                    return Some(Err(loader_error(format!(
                        "timed out after {t:?} waiting for batch {seq} (sent to worker {worker}); \
                         it will still be delivered if it arrives"
                    ))));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.source_done = true;
                    self.sent.clear();
                    return Some(Err(loader_error("the worker threads exited")));
                }
            }
        }
    }
}
