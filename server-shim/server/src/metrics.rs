//! `GET /metrics`: the shim's counters in the Prometheus text format.
//!
//! Requests and latencies per route, webhooks by outcome, open live streams, and the outbox's
//! backlog (read from the database at scrape time, so every process reports the shared queue).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What is counted of one route.
#[derive(Debug, Default, Clone)]
struct RouteStats {
    /// Requests by status class (1xx to 5xx).
    by_class: [u64; 5],
    latency: Histogram,
}

/// The shim's counters. Shared by every handler.
#[derive(Debug, Default)]
pub struct Metrics {
    /// route → requests and latency. One lock, and no allocation once a route is known.
    routes: Mutex<BTreeMap<String, RouteStats>>,
    /// outcome → webhooks.
    webhooks: Mutex<BTreeMap<String, u64>>,
    streams: AtomicI64,
    /// Reconciler passes done.
    reconcile_passes: std::sync::atomic::AtomicU64,
    /// Callbacks and platform updates this process delivered.
    callbacks_sent: std::sync::atomic::AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Status classes, as labelled.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

fn class(status: u16) -> usize {
    usize::from((status / 100).clamp(1, 5) - 1)
}

impl Metrics {
    /// Counts one request to `route` (the matched pattern, never the raw path).
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let mut routes = lock(&self.routes);
        let stats = match routes.get_mut(route) {
            Some(stats) => stats,
            None => routes.entry(route.to_owned()).or_default(),
        };
        stats.by_class[class(status)] += 1;
        let histogram = &mut stats.latency;
        let seconds = took.as_secs_f64();
        for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Counts one webhook by what became of it.
    pub fn webhook(&self, outcome: &str) {
        *lock(&self.webhooks).entry(outcome.to_owned()).or_default() += 1;
    }

    /// A callback (or platform update) was delivered by this process.
    pub fn callback_sent(&self) {
        self.callbacks_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// A reconciler pass is done.
    pub fn reconcile_pass(&self) {
        self.reconcile_passes.fetch_add(1, Ordering::Relaxed);
    }

    /// A live stream opened; the guard closes it in the count when dropped.
    pub fn stream_opened(self: &std::sync::Arc<Self>) -> StreamGuard {
        self.streams.fetch_add(1, Ordering::Relaxed);
        StreamGuard(self.clone())
    }

    /// The Prometheus text exposition.
    pub async fn render(&self, services: &crate::services::Services) -> String {
        let store = services.store();
        let mut out = String::new();
        out.push_str("# HELP shim_http_requests_total HTTP requests by route and status class.\n");
        out.push_str("# TYPE shim_http_requests_total counter\n");
        let routes = lock(&self.routes).clone();
        for (route, stats) in &routes {
            for (status, count) in CLASSES.iter().zip(stats.by_class) {
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "shim_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
                    );
                }
            }
        }
        out.push_str("# HELP shim_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE shim_http_request_duration_seconds histogram\n");
        for (route, histogram) in routes.iter().map(|(route, stats)| (route, &stats.latency)) {
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(
                    out,
                    "shim_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "shim_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "shim_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "shim_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
        out.push_str("# HELP shim_webhooks_total Gateway webhooks by outcome.\n");
        out.push_str("# TYPE shim_webhooks_total counter\n");
        for (outcome, count) in lock(&self.webhooks).iter() {
            let _ = writeln!(out, "shim_webhooks_total{{outcome=\"{outcome}\"}} {count}");
        }
        out.push_str(
            "# HELP shim_reconcile_passes_total Reconciler passes done by this process.\n",
        );
        out.push_str("# TYPE shim_reconcile_passes_total counter\n");
        let _ = writeln!(
            out,
            "shim_reconcile_passes_total {}",
            self.reconcile_passes.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP shim_callbacks_sent_total Shop callbacks and platform updates this process delivered.\n",
        );
        out.push_str("# TYPE shim_callbacks_sent_total counter\n");
        let _ = writeln!(
            out,
            "shim_callbacks_sent_total {}",
            self.callbacks_sent.load(Ordering::Relaxed)
        );
        out.push_str("# HELP shim_live_streams Open live event streams on this process.\n");
        out.push_str("# TYPE shim_live_streams gauge\n");
        let _ = writeln!(
            out,
            "shim_live_streams {}",
            self.streams.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP shim_outbox_callbacks Callbacks to shops by state, for all processes.\n",
        );
        out.push_str("# TYPE shim_outbox_callbacks gauge\n");
        match store.job_counts().await {
            Ok(counts) => {
                for (status, count) in counts {
                    let _ = writeln!(out, "shim_outbox_callbacks{{status=\"{status}\"}} {count}");
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics could not count the outbox"),
        }
        out.push_str(
            "# HELP shim_event_callbacks Deposit and payout callbacks to shops by kind and state, for all processes.\n",
        );
        out.push_str("# TYPE shim_event_callbacks gauge\n");
        match store.event_callback_counts().await {
            Ok(counts) => {
                for (kind, status, count) in counts {
                    let _ = writeln!(
                        out,
                        "shim_event_callbacks{{kind=\"{kind}\",status=\"{status}\"}} {count}"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics could not count the event callbacks"),
        }
        out.push_str(
            "# HELP shim_webhooks_pending Webhooks taken but not applied yet, for all processes.\n",
        );
        out.push_str("# TYPE shim_webhooks_pending gauge\n");
        match store.pending_webhooks().await {
            Ok(count) => {
                let _ = writeln!(out, "shim_webhooks_pending {count}");
            }
            Err(e) => tracing::warn!(error = %e, "metrics could not count the webhook inbox"),
        }
        out
    }
}

/// Counts an open live stream until dropped.
#[derive(Debug)]
pub struct StreamGuard(std::sync::Arc<Metrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::Relaxed);
    }
}
