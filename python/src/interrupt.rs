//! Long work with the interpreter released, stopped by Ctrl-C.
//!
//! [`interruptible`] runs the work on a thread of its own and, every
//! 20 ms, takes the interpreter back to look for a pending signal
//! (`KeyboardInterrupt`). The library's training and evaluation loops
//! have no stop flag of their own but report progress after every batch
//! or (instance, time) point; the progress function given to them
//! ([`Stop::progress`]) unwinds the work there once Ctrl-C was seen
//! (`std::panic::resume_unwind`, which prints nothing), and everything it
//! held is dropped. Nothing is written until the work has returned, so an
//! interrupted call leaves no file behind. The Python progress function,
//! if any, is called from the worker as `progress(done, total)`.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use xbar_api::Update;

/// The payload of the unwind that stops interrupted work.
struct Interrupted;

/// What the worker is told: whether Ctrl-C was pressed, and where to
/// report progress.
pub struct Stop {
    stopped: AtomicBool,
    callback: Option<Py<PyAny>>,
}

impl Stop {
    /// Unwinds the work if Ctrl-C was pressed.
    pub fn check(&self) {
        if self.stopped.load(Ordering::SeqCst) {
            resume_unwind(Box::new(Interrupted));
        }
    }

    /// Reports `done` of `total` to the Python progress function (its
    /// errors are ignored: a progress bar must not stop the work), then
    /// [`check`](Stop::check)s.
    pub fn report(&self, done: usize, total: usize) {
        if let Some(cb) = &self.callback {
            Python::attach(|py| {
                let _ = cb.call1(py, (done, total));
            });
        }
        self.check();
    }

    /// A progress receiver for the library's measurements: training
    /// batches (`epochs` per run) and evaluated (instance, time) points
    /// become `(done, total)`; every update checks for Ctrl-C.
    pub fn progress(&self, epochs: usize) -> impl FnMut(Update<'_>) + '_ {
        let mut points = 0usize;
        let mut evaluated = 0usize;
        move |u: Update<'_>| match u {
            Update::Training(xbar_training::Progress::Batch {
                epoch,
                batch,
                batches,
                ..
            }) => self.report((epoch - 1) * batches + batch, epochs * batches),
            Update::EvaluationStart { points: p, .. } => {
                points = p;
                self.report(0, points);
            }
            Update::Evaluated(_) => {
                evaluated += 1;
                self.report(evaluated, points);
            }
            _ => self.check(),
        }
    }
}

/// Runs `work` with the interpreter released; Ctrl-C raises
/// `KeyboardInterrupt` once the work has stopped at its next progress
/// update (or, for work that reports none, when it ends; its result is
/// then dropped).
pub fn interruptible<R: Send>(
    py: Python<'_>,
    callback: Option<Py<PyAny>>,
    work: impl FnOnce(&Stop) -> R + Send,
) -> PyResult<R> {
    let stop = Stop {
        stopped: AtomicBool::new(false),
        callback,
    };
    let mut interrupt: Option<PyErr> = None;
    let outcome: Result<R, Box<dyn Any + Send>> = std::thread::scope(|scope| {
        let stop = &stop;
        let worker = scope.spawn(move || catch_unwind(AssertUnwindSafe(|| work(stop))));
        while !worker.is_finished() {
            py.detach(|| std::thread::sleep(Duration::from_millis(20)));
            if interrupt.is_none() {
                if let Err(e) = py.check_signals() {
                    stop.stopped.store(true, Ordering::SeqCst);
                    interrupt = Some(e);
                }
            }
        }
        worker.join().unwrap_or_else(Err)
    });
    match (outcome, interrupt) {
        (_, Some(e)) => Err(e),
        (Ok(r), None) => Ok(r),
        (Err(payload), None) => resume_unwind(payload),
    }
}
