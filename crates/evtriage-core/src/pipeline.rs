//! The pipeline: decoding work runs on a thread pool, a bounded number of
//! jobs in flight (back-pressure), and what it produced is delivered on the
//! calling thread strictly in the order it was queued, whatever the number
//! of threads.
//!
//! The [`Reader`](crate::Reader) feeds it (one job per input file, per evtx
//! chunk or per piece of a large text input) and turns what comes out into
//! calls of a [`Sink`](crate::Sink) or of a caller's map and deliver
//! functions.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::contract::InputSummary;
use crate::diag::Diagnostic;
use crate::work::Batch;
use crate::work::Unit;

/// The number of the next unit of work: ascending in delivery order (units
/// are numbered as they are queued), and unique in the process, so that a
/// filter used for several reads into one sink sees every later read's units
/// after the earlier ones'.
pub(crate) fn next_unit() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The counts of one unit, added to its input's summary on delivery (and,
/// for an archive, what was read from each member).
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    records: u64,
    skipped: u64,
    filtered: u64,
    stale: u64,
    members: Vec<InputSummary>,
    text: Option<(String, Option<String>)>,
}

/// Splits a decoder's output into its counts and a [`Unit`].
pub(crate) fn into_unit(file: usize, out: Batch) -> (Counts, Unit) {
    let counts = Counts {
        records: out.records,
        skipped: out.skipped,
        filtered: out.filtered,
        stale: out.stale,
        members: out.members,
        text: out.text,
    };
    (counts, Unit::new(Some(file), out.items, out.lines, out.line_count))
}

/// Runs `f`, turning a panic into `None` (the panic message still goes to
/// the panic hook, as for any panic).
fn catch_panic<R>(f: impl FnOnce() -> R) -> Option<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// A unit of work for the pool.
pub(crate) type Job = Box<dyn FnOnce() -> Batch + Send>;

/// Work handed to the pool, waiting to be delivered in order.
enum Pending<T> {
    Done(usize, Counts, T),
    /// A batch of jobs of one file, each mapped (`None`: it panicked).
    Running(usize, std::sync::mpsc::Receiver<Vec<Option<(Counts, T)>>>),
}

/// Chunks of one evtx file decoded by one pool job, one after another, when
/// an event filter is set: a job per 64 KiB chunk cost more in hand-offs
/// between threads (a channel, a wake-up, a context switch each) than a few
/// chunks take to decode when little comes out of them. Without a filter a
/// chunk's output is every event (or, for `dump`, its text), and outputs
/// made on the workers in fours and freed on the calling thread made the
/// allocator hold on to more and more memory (`dump` of the 1 GiB log:
/// peak RSS 20 MB with one chunk per job, 57 MB with four).
pub(crate) const CHUNKS_PER_JOB: usize = 4;

/// Runs jobs on a thread pool with a bounded number in flight, maps each
/// job's output on the worker that produced it, and delivers the results
/// strictly in the order the jobs were pushed. The output is therefore the
/// same for any number of threads, and memory holds at most `2 × threads`
/// jobs' worth of results (a job is one unit, or up to [`CHUNKS_PER_JOB`]
/// evtx chunks).
pub(crate) struct Pipeline<'p, 'scope, T, M: ?Sized, D> {
    /// The scope to spawn on; `None` runs every job on the calling thread.
    scope: Option<&'p rayon::Scope<'scope>>,
    map: &'scope M,
    deliver: D,
    queue: VecDeque<Pending<T>>,
    cap: usize,
    /// One per input fed so far (the reader pushes each before its jobs).
    pub(crate) summaries: Vec<InputSummary>,
    /// The input whose units are being delivered ([`Delivered::Begin`] was
    /// sent for it, [`Delivered::End`] not yet).
    current: Option<usize>,
    /// The first input not begun yet.
    next: usize,
}

/// What a pipeline hands to the calling thread, in input order: for each
/// input, `Begin`, its mapped units, `End` (with the input's final counts).
pub(crate) enum Delivered<'a, T> {
    /// An input is about to be delivered (counts still zero).
    Begin(&'a InputSummary),
    /// One mapped unit.
    Unit(T),
    /// Every unit of the input was delivered.
    End(&'a InputSummary),
}

/// What queues work on a pipeline, from the calling thread (the reader's
/// inputs).
pub(crate) trait Feed {
    /// Queues everything on `pipe`.
    fn feed<'s, T, M, D>(self, pipe: &mut Pipeline<'_, 's, T, M, D>)
    where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(Delivered<'_, T>);
}

/// Runs a pipeline with `threads` workers (0: one per core): `feed` queues
/// work on it from the calling thread; everything is delivered in order and
/// the summaries (`summaries` plus one per input fed) are returned.
///
/// With more than one thread the pool's jobs run inside a rayon scope
/// entered in place, so that they may borrow `map` (which need not be
/// `'static`); the calling thread is not a pool worker, it only feeds and
/// delivers.
pub(crate) fn run<T, M, D>(
    threads: usize,
    map: &M,
    deliver: D,
    summaries: Vec<InputSummary>,
    feed: impl Feed,
) -> Vec<InputSummary>
where
    T: Send,
    M: Fn(Unit) -> T + Sync + ?Sized,
    D: FnMut(Delivered<'_, T>),
{
    let threads = match threads {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        n => n,
    };
    let pool = if threads > 1 {
        rayon::ThreadPoolBuilder::new().num_threads(threads).panic_handler(|_| {}).build().ok()
    } else {
        None
    };
    let cap = threads * 2;
    match &pool {
        Some(pool) => pool.in_place_scope(|scope| {
            let mut pipe = Pipeline::new(Some(scope), map, deliver, cap, summaries);
            feed.feed(&mut pipe);
            pipe.finish()
        }),
        None => {
            let mut pipe = Pipeline::new(None, map, deliver, cap, summaries);
            feed.feed(&mut pipe);
            pipe.finish()
        }
    }
}

impl<'p, 'scope, T, M, D> Pipeline<'p, 'scope, T, M, D>
where
    T: Send + 'scope,
    M: Fn(Unit) -> T + Sync + ?Sized,
    D: FnMut(Delivered<'_, T>),
{
    fn new(
        scope: Option<&'p rayon::Scope<'scope>>,
        map: &'scope M,
        deliver: D,
        cap: usize,
        summaries: Vec<InputSummary>,
    ) -> Self {
        Pipeline { scope, map, deliver, queue: VecDeque::new(), cap, summaries, current: None, next: 0 }
    }

    pub(crate) fn push(&mut self, file: usize, job: Job) {
        self.push_batch(file, vec![job]);
    }

    /// Queues jobs of one file to run one after another on one worker; their
    /// units are delivered in order, as if pushed one by one.
    pub(crate) fn push_batch(&mut self, file: usize, jobs: Vec<Job>) {
        let Some(scope) = self.scope else {
            let map = self.map;
            for job in jobs {
                let done = catch_panic(|| {
                    let (counts, unit) = into_unit(file, job());
                    (counts, map(unit))
                });
                let (counts, t) = done.unwrap_or_else(|| self.internal_error(file));
                self.queue_or_deliver(file, counts, t);
            }
            return;
        };
        if jobs.is_empty() {
            return;
        }
        while self.queue.len() >= self.cap {
            self.deliver_front();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let map = self.map;
        scope.spawn(move |_| {
            // A panic (in the decoder or in `map`) costs its job only: the
            // delivering side turns `None` into a diagnostic. Caught here so
            // that the scope does not re-raise it at its end.
            let done: Vec<Option<(Counts, T)>> = jobs
                .into_iter()
                .map(|job| {
                    catch_panic(|| {
                        let (counts, unit) = into_unit(file, job());
                        (counts, map(unit))
                    })
                })
                .collect();
            let _ = tx.send(done);
        });
        self.queue.push_back(Pending::Running(file, rx));
    }

    /// Queues an output made on the calling thread; it is mapped here, now.
    pub(crate) fn push_ready(&mut self, file: usize, out: Batch) {
        let map = self.map;
        let done = catch_panic(|| {
            let (counts, unit) = into_unit(file, out);
            (counts, map(unit))
        });
        let (counts, t) = done.unwrap_or_else(|| self.internal_error(file));
        self.queue_or_deliver(file, counts, t);
    }

    fn queue_or_deliver(&mut self, file: usize, counts: Counts, t: T) {
        if self.queue.is_empty() {
            self.deliver(file, counts, t);
        } else {
            self.queue.push_back(Pending::Done(file, counts, t));
        }
    }

    /// The mapped stand-in for a unit whose decoding or mapping panicked: one
    /// skipped-data diagnostic, mapped on the calling thread.
    fn internal_error(&self, file: usize) -> (Counts, T) {
        let name = self.summaries.get(file).map(|s| s.path.clone()).unwrap_or_else(|| Arc::from(""));
        let o = Batch::one_skipped(Diagnostic::skipped(
            name,
            crate::model::Locator::File,
            "internal error while decoding part of this input; that part was skipped",
        ));
        let (counts, unit) = into_unit(file, o);
        (counts, (self.map)(unit))
    }

    fn deliver(&mut self, file: usize, counts: Counts, t: T) {
        self.reach(file);
        if let Some(summary) = self.summaries.get_mut(file) {
            summary.records += counts.records;
            summary.skipped += counts.skipped;
            summary.filtered += counts.filtered;
            summary.stale += counts.stale;
            summary.members.extend(counts.members);
            if let Some((encoding, language)) = counts.text {
                summary.encoding = Some(encoding);
                summary.language = language;
            }
        }
        (self.deliver)(Delivered::Unit(t));
    }

    /// Ends the input being delivered and begins `file` (and begins and ends
    /// every input between them, which had no unit). Units come in input
    /// order, so `file` never goes back.
    fn reach(&mut self, file: usize) {
        if self.current == Some(file) {
            return;
        }
        self.end_current();
        while self.next <= file && self.next < self.summaries.len() {
            let f = self.next;
            self.next += 1;
            if let Some(s) = self.summaries.get(f) {
                (self.deliver)(Delivered::Begin(s));
            }
            if f == file {
                self.current = Some(f);
            } else if let Some(s) = self.summaries.get(f) {
                (self.deliver)(Delivered::End(s));
            }
        }
    }

    fn end_current(&mut self) {
        if let Some(c) = self.current.take() {
            if let Some(s) = self.summaries.get(c) {
                (self.deliver)(Delivered::End(s));
            }
        }
    }

    fn deliver_front(&mut self) {
        let Some(front) = self.queue.pop_front() else { return };
        match front {
            Pending::Done(file, counts, t) => self.deliver(file, counts, t),
            Pending::Running(file, rx) => match rx.recv() {
                Ok(batch) => {
                    for done in batch {
                        let (counts, t) = done.unwrap_or_else(|| self.internal_error(file));
                        self.deliver(file, counts, t);
                    }
                }
                // The worker died before sending (it cannot: panics are caught).
                Err(_) => {
                    let (counts, t) = self.internal_error(file);
                    self.deliver(file, counts, t);
                }
            },
        }
    }

    /// Delivers everything queued so far: every job pushed before has run.
    pub(crate) fn drain(&mut self) {
        while !self.queue.is_empty() {
            self.deliver_front();
        }
    }

    fn finish(&mut self) -> Vec<InputSummary> {
        while !self.queue.is_empty() {
            self.deliver_front();
        }
        self.end_current();
        // Inputs after the last unit (none of them gave one).
        while self.next < self.summaries.len() {
            let f = self.next;
            self.next += 1;
            if let Some(s) = self.summaries.get(f) {
                (self.deliver)(Delivered::Begin(s));
                (self.deliver)(Delivered::End(s));
            }
        }
        std::mem::take(&mut self.summaries)
    }
}
