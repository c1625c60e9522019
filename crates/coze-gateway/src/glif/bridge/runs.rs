//! Runs in flight and recently finished, so a slow glif can be started and polled.

use super::reply::Failure;
use crate::glif::RunOutput;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a finished run's result stays available to `poll_run`.
const KEEP_FINISHED: Duration = Duration::from_secs(3600);
/// Runs allowed at once (in flight plus kept results); beyond it new runs are refused.
const MAX_RUNS: usize = 1000;

/// The state of one run.
#[derive(Debug, Clone)]
pub(crate) enum RunState {
    Running,
    Done {
        at: Instant,
        outcome: Box<Result<RunOutput, Failure>>,
    },
}

/// A run's identity and where its result arrives.
#[derive(Debug, Clone)]
pub(crate) struct RunHandle {
    pub id: String,
    pub glif_id: String,
    pub rx: watch::Receiver<RunState>,
}

#[derive(Debug, Default)]
pub(crate) struct Runs {
    inner: Mutex<HashMap<String, RunHandle>>,
}

impl Runs {
    /// Registers a new run; `None` when the table is full of live runs.
    pub fn insert(&self, glif_id: &str) -> Option<(RunHandle, watch::Sender<RunState>)> {
        let (tx, rx) = watch::channel(RunState::Running);
        let handle = RunHandle {
            id: format!("run_{:032x}", rand::random::<u128>()),
            glif_id: glif_id.to_owned(),
            rx,
        };
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, h| match &*h.rx.borrow() {
            RunState::Running => true,
            RunState::Done { at, .. } => now.duration_since(*at) < KEEP_FINISHED,
        });
        if map.len() >= MAX_RUNS {
            // Drop finished results before refusing: a live run is worth more.
            let finished: Vec<String> = map
                .iter()
                .filter(|(_, h)| matches!(&*h.rx.borrow(), RunState::Done { .. }))
                .map(|(k, _)| k.clone())
                .collect();
            for k in finished {
                map.remove(&k);
            }
            if map.len() >= MAX_RUNS {
                return None;
            }
        }
        map.insert(handle.id.clone(), handle.clone());
        Some((handle, tx))
    }

    pub fn get(&self, id: &str) -> Option<RunHandle> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).cloned()
    }
}

/// Waits up to `wait` for the run to finish and returns its state.
pub(crate) async fn wait(handle: &RunHandle, wait: Duration) -> RunState {
    let mut rx = handle.rx.clone();
    let done =
        tokio::time::timeout(wait, rx.wait_for(|s| matches!(s, RunState::Done { .. }))).await;
    match done {
        Ok(Ok(state)) => state.clone(),
        // Timed out, or the task vanished (runtime shutting down): report what is known.
        _ => handle.rx.borrow().clone(),
    }
}
