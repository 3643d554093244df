//! A per-client token bucket for the public endpoints (invoice views, live streams, pay pages), so
//! that nobody can hammer them. Authenticated shop calls and the gateway's webhooks are not
//! limited here.
//!
//! The client is the connection's address, or, when that address is a trusted proxy, the last
//! address in `X-Forwarded-For` that is not itself a trusted proxy. The same rule tells where a
//! webhook comes from, for the optional allowlist of gateway addresses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// How many requests a client may make.
#[derive(Debug, Clone)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: u32,
    /// Requests allowed in a burst.
    pub burst: u32,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where the gateway's webhooks may come from; empty: anywhere (the signature is what counts;
    /// this is defence in depth).
    pub webhook_sources: Vec<ipnet::IpNet>,
    /// How many webhooks are applied at once while their answers wait; beyond that a webhook is
    /// stored and answered `queued`, and the inbox worker applies it, so a flood of signed
    /// webhooks cannot spawn work without bound.
    pub webhook_apply_slots: usize,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: 50,
            burst: 200,
            trusted_proxies: Vec::new(),
            webhook_sources: Vec::new(),
            webhook_apply_slots: 64,
        }
    }
}

/// Buckets beyond which idle ones are dropped.
const MAX_BUCKETS: usize = 10_000;

/// The buckets, one per client address.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    /// Tokens back per second.
    rate: f64,
    /// Bucket size.
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter with no clients yet, at `limit`'s rate.
    pub fn new(limit: RateLimit) -> Self {
        let (rate, burst) = (
            f64::from(limit.per_second.max(1)),
            f64::from(limit.burst.max(1)),
        );
        Self {
            limit,
            rate,
            burst,
            buckets: Mutex::default(),
        }
    }

    /// A limiter of `burst` requests, then one every `seconds`, telling clients apart as `limit`
    /// does (for the costly public calls: starting a payment).
    pub fn slow(limit: RateLimit, burst: u32, seconds: u32) -> Self {
        Self {
            rate: 1.0 / f64::from(seconds.max(1)),
            burst: f64::from(burst.max(1)),
            ..Self::new(limit)
        }
    }

    /// The client a request comes from.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.limit.trusted_proxies.contains(&peer) {
            return peer;
        }
        forwarded_for
            .into_iter()
            .flat_map(|header| header.split(','))
            .rev()
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .find(|ip| !self.limit.trusted_proxies.contains(ip))
            .unwrap_or(peer)
    }

    /// Whether a webhook from `client` may be taken.
    pub fn webhook_source_allowed(&self, client: IpAddr) -> bool {
        self.limit.webhook_sources.is_empty()
            || self
                .limit
                .webhook_sources
                .iter()
                .any(|net| net.contains(&client))
    }

    /// Takes a token for `client` at `now`; `Err(seconds)` says when to retry.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let (rate, burst) = (self.rate, self.burst);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS {
            // A full bucket is as good as none: forget clients that are back to full.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(client).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limiter(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimit {
            per_second,
            burst,
            trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
            webhook_sources: vec!["91.227.144.54/32".parse().unwrap()],
            ..RateLimit::default()
        })
    }

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let l = limiter(1, 3);
        let (client, t0) = ("192.0.2.1".parse().unwrap(), Instant::now());
        assert!((0..3).all(|_| l.check(client, t0).is_ok()));
        assert_eq!(l.check(client, t0), Err(1));
        assert!(
            l.check("192.0.2.2".parse().unwrap(), t0).is_ok(),
            "other clients are not affected"
        );
        assert!(
            l.check(client, t0 + Duration::from_secs(1)).is_ok(),
            "a token per second comes back"
        );
    }

    #[test]
    fn a_slow_limiter_gives_a_token_every_few_seconds() {
        let l = RateLimiter::slow(RateLimit::default(), 2, 6);
        let (client, t0) = ("192.0.2.1".parse().unwrap(), Instant::now());
        assert!(l.check(client, t0).is_ok() && l.check(client, t0).is_ok());
        assert_eq!(l.check(client, t0), Err(6));
        assert_eq!(l.check(client, t0 + Duration::from_secs(3)), Err(3));
        assert!(l.check(client, t0 + Duration::from_secs(6)).is_ok());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let l = limiter(1, 1);
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            l.client(proxy, Some("198.51.100.7, 10.0.0.1")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            l.client(stranger, Some("198.51.100.7")),
            stranger,
            "anyone can write the header"
        );
        assert_eq!(l.client(proxy, Some("not an address")), proxy);
    }

    #[test]
    fn webhooks_come_only_from_the_allowed_sources() {
        let l = limiter(1, 1);
        let gateway: IpAddr = "91.227.144.54".parse().unwrap();
        assert!(l.webhook_source_allowed(gateway));
        assert!(!l.webhook_source_allowed("91.227.144.55".parse().unwrap()));
        assert!(
            RateLimiter::new(RateLimit::default())
                .webhook_source_allowed("203.0.113.9".parse().unwrap()),
            "no allowlist: anyone (the signature decides)"
        );
    }
}
