//! Optional rate limiting per client address (`RATE_LIMIT`, off by default).
//!
//! One GCRA limiter (governor) keyed by the client's IP address: a client may send a burst of
//! `RATE_LIMIT_BURST` requests, then one per `period / count`. An IPv6 client counts as its /64
//! network, which one host or site gets whole (it could otherwise rotate addresses within it
//! for a fresh burst each). The client is the TCP peer,
//! unless the peer is a trusted proxy (`TRUSTED_PROXIES`): then it is the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy, the first one no proxy of ours could
//! have been told by the client (addresses further left are the client's own claims).
//!
//! Memory stays bounded under many addresses: while requests arrive, at most every
//! `SWEEP_INTERVAL` one of them drops the states of the addresses whose allowance is full again
//! (they are no different from an address never seen). So the map holds at most the addresses
//! seen within one refill time (`burst` × `period / count`) plus `SWEEP_INTERVAL`. A time gate
//! rather than a request count keeps the sweep's cost (a pass over the map) from growing with
//! the request rate.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The states of addresses with a full allowance are dropped at most this often.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// `RATE_LIMIT` and `RATE_LIMIT_BURST` as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSetting {
    /// Requests allowed per `period`, sustained.
    pub count: NonZeroU32,
    pub period: Duration,
    /// Requests a quiet client may send at once.
    pub burst: NonZeroU32,
}

impl RateLimitSetting {
    /// Parses `20/s`, `600/min` or `10000/h` (`off` is handled by the caller).
    pub fn parse(rate: &str, burst: Option<&str>) -> Result<RateLimitSetting, String> {
        let (count, unit) = rate
            .split_once('/')
            .ok_or("expected `off` or a rate such as `20/s`, `600/min` or `10000/h`")?;
        let count: NonZeroU32 = count
            .trim()
            .parse()
            .map_err(|_| format!("`{count}` is not a whole number above zero"))?;
        let period = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => return Err(format!("unknown unit `{other}` (expected s, min or h)")),
        };
        let burst = match burst {
            None => count,
            Some(value) => value.trim().parse().map_err(|_| {
                format!("RATE_LIMIT_BURST `{value}` is not a whole number above zero")
            })?,
        };
        Ok(RateLimitSetting {
            count,
            period,
            burst,
        })
    }

    fn quota(&self) -> Quota {
        let interval = self.period / self.count.get();
        Quota::with_period(interval.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.burst)
    }
}

pub struct RateLimiter {
    /// Keyed by `bucket(client)`.
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Vec<IpNet>,
    started: Instant,
    /// When the last sweep began, in milliseconds since `started`.
    last_sweep_ms: AtomicU64,
    sweep_interval: Duration,
}

impl RateLimiter {
    pub fn new(setting: RateLimitSetting, trusted_proxies: Vec<IpNet>) -> RateLimiter {
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(setting.quota()),
            trusted_proxies,
            started: Instant::now(),
            last_sweep_ms: AtomicU64::new(0),
            sweep_interval: SWEEP_INTERVAL,
        }
    }

    /// Counts one request of `client`: `Err` with the wait before the next is allowed.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.sweep_if_due();
        self.limiter
            .check_key(&bucket(client))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Drops the states of addresses whose allowance is full again, if the last sweep is
    /// `sweep_interval` old. One request does it; requests on other workers go on meanwhile.
    fn sweep_if_due(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        let interval = u64::try_from(self.sweep_interval.as_millis()).unwrap_or(u64::MAX);
        if now.saturating_sub(last) < interval
            || self
                .last_sweep_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let before = self.limiter.len();
        self.limiter.retain_recent();
        // Give a flood's memory back, without rehashing a map that is about its usual size.
        if self.limiter.len() < before / 2 {
            self.limiter.shrink_to_fit();
        }
    }

    /// Addresses with a state held.
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }

    /// Whom a request counts against: see the module documentation.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = peer?;
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let Some(forwarded_for) = forwarded_for else {
            return Some(peer);
        };
        let mut nearest = peer;
        for hop in forwarded_for.rsplit(',') {
            match parse_forwarded_address(hop) {
                Some(address) if self.is_trusted(address) => nearest = address,
                Some(address) => return Some(address),
                // A garbled entry: nothing left of it can be trusted either.
                None => return Some(nearest),
            }
        }
        Some(nearest)
    }

    /// Whether `address` is one of `TRUSTED_PROXIES`.
    pub fn is_trusted(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.trusted_proxies
            .iter()
            .any(|network| network.contains(&address))
    }
}

/// An address of `X-Forwarded-For`: `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse_forwarded_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|socket| canonical(socket.ip()))
}

/// What a client's requests count against: its IPv4 address, or its IPv6 address's /64.
fn bucket(client: IpAddr) -> IpAddr {
    match canonical(client) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// IPv4-mapped IPv6 addresses (a dual-stack listener's view of IPv4 peers) as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Parses `TRUSTED_PROXIES`: addresses or networks, comma-separated.
pub fn parse_trusted_proxies(value: &str) -> Result<Vec<IpNet>, String> {
    if value.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("`{entry}` is not an IP address or network such as 10.0.0.0/8")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: &str, burst: Option<&str>, trusted: &str) -> RateLimiter {
        RateLimiter::new(
            RateLimitSetting::parse(rate, burst).unwrap(),
            parse_trusted_proxies(trusted).unwrap(),
        )
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn rates_parse_with_units_and_an_optional_burst() {
        let setting = RateLimitSetting::parse("600/min", None).unwrap();
        assert_eq!(
            (setting.count.get(), setting.period, setting.burst.get()),
            (600, Duration::from_secs(60), 600)
        );
        let setting = RateLimitSetting::parse(" 20 / s ", Some("5")).unwrap();
        assert_eq!((setting.count.get(), setting.burst.get()), (20, 5));
        for bad in ["20", "0/s", "x/s", "20/fortnight", "-1/s"] {
            assert!(RateLimitSetting::parse(bad, None).is_err(), "{bad}");
        }
        assert!(RateLimitSetting::parse("20/s", Some("0")).is_err());
    }

    #[test]
    fn a_client_gets_its_burst_then_waits_and_others_are_unaffected() {
        let limiter = limiter("1/min", Some("3"), "");
        let client = ip("192.0.2.1");
        for _ in 0..3 {
            assert!(limiter.check(client).is_ok());
        }
        let wait = limiter.check(client).unwrap_err();
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert!(limiter.check(ip("192.0.2.2")).is_ok());
        assert_eq!(limiter.tracked(), 2);
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_client_its_ipv4_address() {
        let limiter = limiter("1/min", Some("1"), "");
        assert!(limiter.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(
            limiter.check(ip("2001:db8:1:2:ffff::9")).is_err(),
            "another address of the same /64 shares its allowance"
        );
        assert!(limiter.check(ip("2001:db8:1:3::1")).is_ok());
        assert!(limiter.check(ip("192.0.2.1")).is_ok());
        assert!(limiter.check(ip("::ffff:192.0.2.1")).is_err());
        assert!(
            limiter.check(ip("::ffff:192.0.2.2")).is_ok(),
            "mapped IPv4 clients are not one /64"
        );
    }

    #[test]
    fn states_of_quiet_addresses_are_swept_so_memory_stays_bounded() {
        let mut limiter = limiter("1000/s", Some("1"), "");
        limiter.sweep_interval = Duration::ZERO;
        for n in 0..=255u8 {
            assert!(limiter.check(IpAddr::from([198, 51, 100, n])).is_ok());
        }
        // Each allowance refills within 1 ms; the next check sweeps them all away.
        std::thread::sleep(Duration::from_millis(20));
        assert!(limiter.check(ip("203.0.113.1")).is_ok());
        assert_eq!(limiter.tracked(), 1);

        // Not before the interval has passed.
        limiter.sweep_interval = Duration::from_secs(3600);
        limiter.last_sweep_ms.store(0, Ordering::Relaxed);
        limiter.started = Instant::now();
        for n in 0..=255u8 {
            assert!(limiter.check(IpAddr::from([198, 51, 100, n])).is_ok());
        }
        std::thread::sleep(Duration::from_millis(20));
        assert!(limiter.check(ip("203.0.113.2")).is_ok());
        assert_eq!(limiter.tracked(), 258);
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let direct = limiter("10/s", None, "");
        assert_eq!(
            direct.client(Some(ip("203.0.113.9")), Some("198.51.100.1")),
            Some(ip("203.0.113.9")),
            "an untrusted peer cannot choose whom it counts as"
        );
        let proxied = limiter("10/s", None, "10.0.0.0/8, 192.0.2.7");
        let proxy = Some(ip("10.1.2.3"));
        assert_eq!(
            proxied.client(proxy, Some("198.51.100.1")),
            Some(ip("198.51.100.1"))
        );
        // The client's own claim (left) is skipped: the right-most untrusted hop is the client.
        assert_eq!(
            proxied.client(proxy, Some("6.6.6.6, 198.51.100.1, 10.9.9.9")),
            Some(ip("198.51.100.1"))
        );
        assert_eq!(
            proxied.client(proxy, Some("[2001:db8::1]:4711, 192.0.2.7")),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(proxied.client(proxy, Some("garbage")), proxy);
        assert_eq!(proxied.client(proxy, None), proxy);
        assert_eq!(
            proxied.client(Some(ip("::ffff:10.0.0.1")), Some("198.51.100.1")),
            Some(ip("198.51.100.1")),
            "IPv4-mapped peers match IPv4 networks"
        );
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks() {
        assert_eq!(parse_trusted_proxies("").unwrap(), vec![]);
        assert_eq!(parse_trusted_proxies("none").unwrap(), vec![]);
        assert_eq!(parse_trusted_proxies("10.0.0.0/8, ::1").unwrap().len(), 2);
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("proxy.local").is_err());
    }
}
