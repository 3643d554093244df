//! Per-client rate limits for the public endpoints (invoice views, live streams, pay pages) and
//! the gateway's webhook route, so that nobody can hammer them. Authenticated shop calls are not
//! limited here.
//!
//! The limits are `governor`'s GCRA (a token bucket in one timestamp per client, O(1) per
//! request) over a state store of our own that stays bounded under a flood of addresses: at most
//! [`MAX_CLIENTS`] clients are told apart; when that many are being limited at once, new clients
//! share one bucket until the flood passes, while known clients keep theirs.
//!
//! The client is the connection's address, or, when that address is a trusted proxy, the last
//! address in `X-Forwarded-For` that is not itself a trusted proxy; an IPv6 client is its /64 (what
//! one subscriber usually gets). The same rule tells where a webhook comes from, for the optional
//! allowlist of gateway addresses.

use governor::clock::{Clock, MonotonicClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::{NotUntil, Quota};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
    /// Webhooks per second one source may send (the gateway sends from a few addresses).
    pub webhook_per_second: u32,
    /// Webhooks one source may send in a burst.
    pub webhook_burst: u32,
    /// Live streams one client may hold open at once.
    pub streams_per_client: u32,
    /// Live streams the shim holds open at once, in all.
    pub streams_total: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: 50,
            burst: 200,
            trusted_proxies: Vec::new(),
            webhook_sources: Vec::new(),
            webhook_apply_slots: 64,
            webhook_per_second: 100,
            webhook_burst: 1_000,
            streams_per_client: 20,
            streams_total: 20_000,
        }
    }
}

/// How many clients are told apart at most.
pub const MAX_CLIENTS: usize = 10_000;

/// The bucket new clients share while [`MAX_CLIENTS`] are being limited.
const OVERFLOW: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// Each client's GCRA state (its theoretical arrival time), bounded (see the module's notes).
#[derive(Debug, Default)]
pub struct Clients(Mutex<HashMap<IpAddr, Nanos>>);

impl StateStore for Clients {
    type Key = IpAddr;

    fn measure_and_replace<T, F, E>(&self, key: &IpAddr, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = if map.len() >= MAX_CLIENTS && !map.contains_key(key) {
            OVERFLOW
        } else {
            *key
        };
        let (answer, next) = f(map.get(&key).copied())?;
        map.insert(key, next);
        Ok(answer)
    }
}

impl ShrinkableKeyedStateStore<IpAddr> for Clients {
    fn retain_recent(&self, drop_below: Nanos) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, at| *at > drop_below);
    }

    fn len(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The limits of one kind of request, per client.
#[derive(Debug)]
pub struct RateLimiter<C: Clock = MonotonicClock> {
    limit: RateLimit,
    clients: governor::RateLimiter<IpAddr, Clients, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    /// When the clients back to a fresh bucket were last forgotten (nanoseconds of `clock`
    /// since the limiter began): at most once a second, so a flood costs O(1) per request.
    last_sweep: AtomicU64,
    start: C::Instant,
}

impl RateLimiter {
    /// A limiter with no clients yet, at `limit`'s rate.
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_second(nonzero(limit.per_second)).allow_burst(nonzero(limit.burst));
        Self::with_clock(limit, quota, MonotonicClock)
    }

    /// The limiter of the gateway's webhook route, per source address.
    pub fn webhooks(limit: RateLimit) -> Self {
        let quota = Quota::per_second(nonzero(limit.webhook_per_second))
            .allow_burst(nonzero(limit.webhook_burst));
        Self::with_clock(limit, quota, MonotonicClock)
    }

    /// A limiter of `burst` requests, then one every `seconds`, telling clients apart as `limit`
    /// does (for the costly public calls: starting a payment).
    pub fn slow(limit: RateLimit, burst: u32, seconds: u32) -> Self {
        Self::with_clock(limit, slow_quota(burst, seconds), MonotonicClock)
    }
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

fn slow_quota(burst: u32, seconds: u32) -> Quota {
    Quota::with_period(Duration::from_secs(u64::from(seconds.max(1))))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(nonzero(burst))
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// A limiter on `clock` (tests use a fake one).
    pub fn with_clock(limit: RateLimit, quota: Quota, clock: C) -> Self {
        let start = clock.now();
        Self {
            limit,
            clients: governor::RateLimiter::new(quota, Clients::default(), clock.clone()),
            clock,
            last_sweep: AtomicU64::new(0),
            start,
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

    /// Takes a request of `client`'s; `Err(seconds)` says when to retry.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let now = self.clock.now();
        if self.clients.len() >= MAX_CLIENTS {
            let elapsed = u64::from(now.duration_since(self.start));
            let last = self.last_sweep.load(Ordering::Relaxed);
            if elapsed.saturating_sub(last) >= 1_000_000_000
                && self
                    .last_sweep
                    .compare_exchange(last, elapsed, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                self.clients.retain_recent();
            }
        }
        self.clients
            .check_key(&bucket(client))
            .map_err(|not_until: NotUntil<C::Instant>| {
                not_until.wait_time_from(now).as_secs().max(1)
            })
    }

    /// How many clients are told apart now.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }
}

/// Live streams held open, per client and in all, within [`RateLimit::streams_per_client`] and
/// [`RateLimit::streams_total`]: a stream takes a [`StreamSlot`], given back when it ends.
#[derive(Debug)]
pub struct StreamSlots {
    per_client: u32,
    total: u32,
    open: Mutex<(u32, HashMap<IpAddr, u32>)>,
}

/// One open stream's place; dropping it frees it.
#[derive(Debug)]
pub struct StreamSlot {
    slots: std::sync::Arc<StreamSlots>,
    client: IpAddr,
}

impl StreamSlots {
    /// No streams open yet, within `limit`'s caps.
    pub fn new(limit: &RateLimit) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            per_client: limit.streams_per_client.max(1),
            total: limit.streams_total.max(1),
            open: Mutex::default(),
        })
    }

    /// A place for one more stream of `client`'s, unless it holds its share already or the
    /// shim holds all it may.
    pub fn take(self: &std::sync::Arc<Self>, client: IpAddr) -> Option<StreamSlot> {
        let client = bucket(client);
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (total, clients) = &mut *open;
        let mine = clients.get(&client).copied().unwrap_or(0);
        if *total >= self.total || mine >= self.per_client {
            return None;
        }
        *total += 1;
        clients.insert(client, mine + 1);
        Some(StreamSlot {
            slots: self.clone(),
            client,
        })
    }

    /// How many streams are open.
    pub fn open(&self) -> u32 {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (total, clients) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(mine) = clients.get_mut(&self.client) {
            *mine -= 1;
            if *mine == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

/// The bucket of `client`: itself for IPv4, its /64 for IPv6 (an IPv4 mapped into IPv6 is the
/// IPv4 address).
fn bucket(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn limiter(per_second: u32, burst: u32) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limit = RateLimit {
            per_second,
            burst,
            trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
            webhook_sources: vec!["91.227.144.54/32".parse().unwrap()],
            ..RateLimit::default()
        };
        let quota = Quota::per_second(nonzero(per_second)).allow_burst(nonzero(burst));
        (RateLimiter::with_clock(limit, quota, clock.clone()), clock)
    }

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let (l, clock) = limiter(1, 3);
        let client = "192.0.2.1".parse().unwrap();
        assert!((0..3).all(|_| l.check(client).is_ok()));
        assert_eq!(l.check(client), Err(1));
        assert!(
            l.check("192.0.2.2".parse().unwrap()).is_ok(),
            "other clients are not affected"
        );
        clock.advance(Duration::from_secs(1));
        assert!(l.check(client).is_ok(), "a token per second comes back");
    }

    #[test]
    fn a_slow_limiter_gives_a_token_every_few_seconds() {
        let clock = FakeRelativeClock::default();
        let l = RateLimiter::with_clock(RateLimit::default(), slow_quota(2, 6), clock.clone());
        let client = "192.0.2.1".parse().unwrap();
        assert!(l.check(client).is_ok() && l.check(client).is_ok());
        assert_eq!(l.check(client), Err(6));
        clock.advance(Duration::from_secs(3));
        assert_eq!(l.check(client), Err(3));
        clock.advance(Duration::from_secs(3));
        assert!(l.check(client).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_is_the_ipv4() {
        let (l, _) = limiter(1, 1);
        assert!(l.check("2001:db8:1:2::1".parse().unwrap()).is_ok());
        assert!(
            l.check("2001:db8:1:2:ffff::9".parse().unwrap()).is_err(),
            "the same /64"
        );
        assert!(l.check("2001:db8:1:3::1".parse().unwrap()).is_ok());
        assert!(l.check("198.51.100.4".parse().unwrap()).is_ok());
        assert!(l.check("::ffff:198.51.100.4".parse().unwrap()).is_err());
    }

    #[test]
    fn a_flood_of_addresses_stays_bounded_and_known_clients_keep_their_bucket() {
        let (l, clock) = limiter(1, 2);
        let regular: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(l.check(regular).is_ok());
        // 100,000 addresses, each once, all within the same second.
        for n in 0..100_000u32 {
            let _ = l.check(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n)));
        }
        assert!(l.clients() <= MAX_CLIENTS + 1, "{} clients", l.clients());
        // The regular client still has its own bucket (one token left), not the flood's.
        assert!(l.check(regular).is_ok());
        assert!(l.check(regular).is_err());
        // New clients share one bucket during the flood: most are turned away.
        let newcomers = (0..100u32)
            .filter(|n| {
                l.check(IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + n)))
                    .is_ok()
            })
            .count();
        assert!(newcomers <= 2, "{newcomers}");
        // Once the flood's buckets are back to fresh, they are forgotten and newcomers are served.
        clock.advance(Duration::from_secs(5));
        assert!(l.check("203.0.113.50".parse().unwrap()).is_ok());
        assert!(l.clients() < 100, "{} clients after the sweep", l.clients());
    }

    #[test]
    fn streams_are_capped_per_client_and_in_all() {
        let slots = StreamSlots::new(&RateLimit {
            streams_per_client: 2,
            streams_total: 3,
            ..RateLimit::default()
        });
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        assert!(slots.take(a).is_none(), "two per client");
        let _third = slots.take(b).unwrap();
        assert!(
            slots.take("192.0.2.3".parse().unwrap()).is_none(),
            "three in all"
        );
        drop(first);
        assert_eq!(slots.open(), 2);
        assert!(slots.take(a).is_some(), "a closed stream frees its place");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let (l, _) = limiter(1, 1);
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
        let (l, _) = limiter(1, 1);
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
