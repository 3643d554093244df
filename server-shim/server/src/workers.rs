//! The background workers (reconciler, webhook inbox, outbox) and their orderly stop: on shutdown
//! each finishes the pass it is in, so no webhook or callback is left half done.

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Running workers, stopped together.
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<(&'static str, JoinHandle<()>)>,
    /// What else a stop waits for once the passes are over (work the passes handed to tasks).
    drains: Vec<(&'static str, Drain)>,
}

type Drain = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.handles.iter().map(|(name, _)| *name).collect();
        f.debug_struct("Workers").field("workers", &names).finish()
    }
}

impl Default for Workers {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            handles: Vec::new(),
            drains: Vec::new(),
        }
    }
}

impl Workers {
    /// Runs `pass` now and then every `every` until [`Workers::stop`]; a pass in progress when
    /// the stop comes is finished first.
    pub fn every<F, Fut>(&mut self, name: &'static str, every: Duration, mut pass: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let mut stop = self.stop.subscribe();
        let handle = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    // The only change ever sent is the stop (or the sender is gone).
                    _ = stop.changed() => break,
                    _ = tick.tick() => pass().await,
                }
            }
            tracing::debug!(worker = name, "stopped");
        });
        self.handles.push((name, handle));
    }

    /// [`Workers::every`], when `run`; nothing otherwise.
    pub fn every_if<F, Fut>(&mut self, run: bool, name: &'static str, every: Duration, pass: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        if run {
            self.every(name, every, pass);
        } else {
            tracing::info!(worker = name, "off");
        }
    }

    /// On [`Workers::stop`], after the passes: also waits for what `drain` returns (the tasks a
    /// worker's passes started).
    pub fn on_stop_wait_for<F, Fut>(&mut self, name: &'static str, drain: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.drains
            .push((name, Box::new(move || Box::pin(drain()))));
    }

    /// Asks every worker to stop and waits up to `grace` for their passes (and what they
    /// started) to end.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + grace;
        for (name, handle) in self.handles {
            if tokio::time::timeout_at(deadline, handle).await.is_err() {
                tracing::warn!(worker = name, "did not finish its pass in time");
            }
        }
        for (name, drain) in self.drains {
            if tokio::time::timeout_at(deadline, drain()).await.is_err() {
                tracing::warn!(worker = name, "did not finish its work in time");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_pass_in_progress_is_finished_before_the_stop() {
        let finished = Arc::new(AtomicUsize::new(0));
        let mut workers = Workers::default();
        let counter = finished.clone();
        workers.every("slow", Duration::from_secs(3600), move || {
            let counter = counter.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        workers.stop(Duration::from_secs(5)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 1);
    }
}
