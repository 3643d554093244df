//! Where the shim may connect on a shop's behalf. A shop names the addresses the shim calls (its
//! site, its callback URL), so a shop could name the shim's own neighbours: its database, a cloud
//! metadata service, an admin panel on loopback. An [`Egress`] refuses loopback, private,
//! link-local, shared (CGNAT), multicast and reserved addresses unless the operator named the
//! host (`SHIM_ALLOWED_PRIVATE_HOSTS`), and checks the address actually connected to, after DNS,
//! so a public name that resolves inward is refused too. Its clients follow no redirects.

use crate::platform::AdapterError;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// What the shim may connect to. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Egress {
    allowed: Arc<Allowed>,
}

#[derive(Debug, Default)]
struct Allowed {
    /// Host names, lowercase, allowed whatever they resolve to.
    hosts: Vec<String>,
    /// Private addresses allowed.
    nets: Vec<IpNet>,
}

impl Egress {
    /// Public addresses only: what a shim in production allows unless told more.
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Public addresses, and the private hosts `entries` name: host names (`shop.internal`),
    /// addresses (`10.0.0.5`) or networks (`10.0.0.0/8`).
    pub fn allowing<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut allowed = Allowed::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            if let Ok(net) = entry.parse::<IpNet>() {
                allowed.nets.push(net);
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                allowed.nets.push(IpNet::from(ip));
            } else if entry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            {
                allowed.hosts.push(entry.to_ascii_lowercase());
            } else {
                return Err(format!(
                    "{entry:?} is neither a host name, an address nor a network (like shop.internal, 10.0.0.5 or 10.0.0.0/8)"
                ));
            }
        }
        Ok(Self {
            allowed: Arc::new(allowed),
        })
    }

    /// Public addresses and this machine's loopback: for the demo and the tests, whose shops run
    /// beside the shim.
    pub fn with_loopback() -> Self {
        Self::allowing(&["localhost", "127.0.0.0/8", "::1/128"]).unwrap_or_default()
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.nets.iter().any(|net| net.contains(&ip))
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.allowed.hosts.contains(&host)
    }

    /// Whether `url` may be called: http(s), and a host that is public or allowed, resolved now
    /// (the client checks again as it connects, against names that change their answer).
    pub async fn check(&self, url: &str) -> Result<(), AdapterError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| AdapterError::Refused(format!("{url:?} is not a URL")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(AdapterError::Refused(format!(
                "only http(s) addresses are called, not {}",
                parsed.scheme()
            )));
        }
        let refused = |host: &str| {
            AdapterError::Refused(format!(
                "{host} is a private, loopback or link-local address, which the shim does not call on a shop's behalf; if the shop really is there, the operator allows it with SHIM_ALLOWED_PRIVATE_HOSTS"
            ))
        };
        let Some(host) = parsed.host_str() else {
            return Err(AdapterError::Refused(format!("{url:?} names no host")));
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return if self.allows_ip(ip) {
                Ok(())
            } else {
                Err(refused(bare))
            };
        }
        if self.allows_host(host) {
            return Ok(());
        }
        let port = parsed.port_or_known_default().unwrap_or(80);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| AdapterError::Unavailable(format!("{host} cannot be resolved")))?
            .collect();
        if addrs.iter().any(|a| self.allows_ip(a.ip())) {
            Ok(())
        } else {
            Err(refused(host))
        }
    }

    /// An HTTP client that connects only where this allows, follows no redirects and gives up
    /// after `timeout`.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, AdapterError> {
        reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Guard(self.clone())))
            .build()
            .map_err(|e| AdapterError::Refused(format!("HTTP client: {e}")))
    }
}

/// A shop's site and a client that calls it only where an [`Egress`] allows, giving up after
/// [`crate::platform::PLATFORM_TIMEOUT`].
#[derive(Debug, Clone)]
pub(crate) struct ShopSite {
    /// The site's URL, without a trailing slash.
    base: String,
    egress: Egress,
    http: reqwest::Client,
}

impl ShopSite {
    /// The shop at `site` (`https://shop.example`), called only where `egress` allows.
    pub(crate) fn new(site: &str, egress: &Egress) -> Result<Self, AdapterError> {
        let http = egress.client(crate::platform::PLATFORM_TIMEOUT)?;
        Ok(Self {
            base: site.trim_end_matches('/').to_owned(),
            egress: egress.clone(),
            http,
        })
    }

    /// The URL of `path` on the site.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// A request to `url`, once the egress rules allow it.
    pub(crate) async fn request(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, AdapterError> {
        self.egress.check(url).await?;
        Ok(self.http.request(method, url))
    }
}

/// The resolver of [`Egress::client`]: only the allowed addresses of a name are connected to.
struct Guard(Egress);

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let egress = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let open = egress.allows_host(&host);
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| open || egress.allows_ip(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no address the shim may call").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `ip` is an address of the public internet: not loopback, private, link-local (cloud
/// metadata services live there), shared (CGNAT), multicast, documentation, benchmarking or
/// otherwise reserved; IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_public_internet_is_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn private_destinations_are_refused_unless_the_operator_named_them() {
        let strict = Egress::public_only();
        for url in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:9/x",
            "http://10.0.0.5/",
        ] {
            let refused = strict.check(url).await.unwrap_err();
            assert!(
                matches!(&refused, AdapterError::Refused(m) if m.contains("SHIM_ALLOWED_PRIVATE_HOSTS")),
                "{url}: {refused}"
            );
        }
        assert!(matches!(
            strict.check("file:///etc/passwd").await,
            Err(AdapterError::Refused(_))
        ));
        let allowed = Egress::allowing(&["10.0.0.0/8", "localhost"]).unwrap();
        assert!(allowed.check("http://10.0.0.5/").await.is_ok());
        assert!(allowed.check("http://localhost:9/x").await.is_ok());
        assert!(
            allowed.check("http://127.0.0.1/").await.is_err(),
            "not named"
        );
        assert!(Egress::allowing(&["a b"]).unwrap_err().contains("neither"));
    }
}
