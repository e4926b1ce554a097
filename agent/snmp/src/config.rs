//! What an [`Engine`](crate::Engine) is configured with: identity, communities, USM users,
//! VACM groups/access/views, notification targets.
//!
//! The defaults allow nothing: no community, no user, no view. [`EngineConfig::new`]
//! takes the engine ID; the helpers add the common cases.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use crate::error::Error;
use crate::oid::Oid;
use crate::usm::{AuthProtocol, PrivProtocol, SecurityLevel};

/// Default largest message we send or accept to build (RFC 3417 §3.2 minimum is 484; 1472
/// fills one Ethernet frame over IPv4/UDP).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1472;

/// Largest datagram the engine looks at; anything bigger is a parse error.
pub const MAX_ACCEPTED_MESSAGE: usize = 65_536;

/// Security models of VACM (RFC 3411 §5 SnmpSecurityModel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityModel {
    /// SNMPv1 community (1).
    V1,
    /// SNMPv2c community (2).
    V2c,
    /// USM (3).
    Usm,
}

impl SecurityModel {
    /// The wire value.
    pub fn code(self) -> i32 {
        match self {
            SecurityModel::V1 => 1,
            SecurityModel::V2c => 2,
            SecurityModel::Usm => 3,
        }
    }
}

/// An IP network, `addr/prefix`: which sources may use a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    /// The network address (host bits are ignored).
    pub addr: IpAddr,
    /// Prefix length (0..=32 for IPv4, 0..=128 for IPv6).
    pub prefix: u8,
}

impl IpNet {
    /// A network; `prefix` is clamped to the family's width.
    pub fn new(addr: IpAddr, prefix: u8) -> Self {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        IpNet {
            addr,
            prefix: prefix.min(max),
        }
    }

    /// Whether `ip` is inside. IPv4-mapped IPv6 sources (`::ffff:a.b.c.d`, from a
    /// dual-stack socket) are compared as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr.to_canonical(), ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let p = u32::from(self.prefix.min(32));
                let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let p = u32::from(self.prefix.min(128));
                let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = Error;

    /// `"192.0.2.0/24"`, `"2001:db8::/32"`, or a bare address (a host network).
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::NetSyntax(s.to_string());
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(IpNet { addr, prefix })
    }
}

/// A v1/v2c community: the community string is the securityName's key, mapped straight to
/// a read view and an optional write view (RFC 3584 §5 in its simplest form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// The community string.
    pub community: String,
    /// Source networks allowed to use it; empty allows any source.
    pub sources: Vec<IpNet>,
    /// Name of the view Get/GetNext/GetBulk see.
    pub read_view: String,
    /// Name of the view Set may write (only with [`EngineConfig::set_enabled`]).
    pub write_view: Option<String>,
}

impl Community {
    /// A read-only community over `read_view`, from any source.
    pub fn read_only(community: &str, read_view: &str) -> Self {
        Community {
            community: community.to_string(),
            sources: Vec::new(),
            read_view: read_view.to_string(),
            write_view: None,
        }
    }
}

/// A USM user (RFC 3414 usmUserTable, with passwords instead of keys).
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// usmUserName / securityName (1..=32 octets).
    pub name: String,
    /// Authentication protocol and password (at least 8 characters).
    pub auth: Option<(AuthProtocol, String)>,
    /// Privacy protocol and password; needs `auth`.
    pub privacy: Option<(PrivProtocol, String)>,
    /// Requests below this level get a usmStatsUnsupportedSecLevels Report (a local
    /// policy on top of RFC 3414 §3.2 step 5, which only refuses levels above what the
    /// keys allow). None: the level the keys allow.
    pub min_level: Option<SecurityLevel>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("auth", &self.auth.as_ref().map(|a| a.0))
            .field("privacy", &self.privacy.as_ref().map(|p| p.0))
            .field("min_level", &self.min_level)
            .finish()
    }
}

impl User {
    /// A user without keys (noAuthNoPriv only).
    pub fn no_auth(name: &str) -> Self {
        User {
            name: name.to_string(),
            auth: None,
            privacy: None,
            min_level: None,
        }
    }

    /// A user with authentication only.
    pub fn auth(name: &str, proto: AuthProtocol, password: &str) -> Self {
        User {
            auth: Some((proto, password.to_string())),
            ..User::no_auth(name)
        }
    }

    /// A user with authentication and privacy.
    pub fn auth_priv(
        name: &str,
        auth: AuthProtocol,
        auth_password: &str,
        privacy: PrivProtocol,
        priv_password: &str,
    ) -> Self {
        User {
            auth: Some((auth, auth_password.to_string())),
            privacy: Some((privacy, priv_password.to_string())),
            ..User::no_auth(name)
        }
    }

    /// The level the keys allow.
    pub fn level(&self) -> SecurityLevel {
        match (&self.auth, &self.privacy) {
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            _ => SecurityLevel::NoAuthNoPriv,
        }
    }
}

/// One view family (RFC 3415 vacmViewTreeFamilyTable): a subtree, a mask (bit i, MSB
/// first, covers sub-identifier i; 0 = wildcard; missing bits are 1), included or
/// excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFamily {
    /// vacmViewTreeFamilySubtree.
    pub subtree: Oid,
    /// vacmViewTreeFamilyMask (empty: every sub-identifier must match).
    pub mask: Vec<u8>,
    /// vacmViewTreeFamilyType: included (true) or excluded.
    pub included: bool,
}

/// A named MIB view: a set of families; for an OID the matching family with the longest
/// subtree decides (RFC 3415 §5, vacmViewTreeFamilyTable DESCRIPTION).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// vacmViewName.
    pub name: String,
    /// The families.
    pub families: Vec<ViewFamily>,
}

impl View {
    /// An empty view.
    pub fn new(name: &str) -> Self {
        View {
            name: name.to_string(),
            families: Vec::new(),
        }
    }

    /// The whole tree under `1` (iso).
    pub fn everything(name: &str) -> Self {
        View::new(name).include(Oid::from([1]))
    }

    /// Adds an included subtree.
    pub fn include(mut self, subtree: impl Into<Oid>) -> Self {
        self.families.push(ViewFamily {
            subtree: subtree.into(),
            mask: Vec::new(),
            included: true,
        });
        self
    }

    /// Adds an excluded subtree.
    pub fn exclude(mut self, subtree: impl Into<Oid>) -> Self {
        self.families.push(ViewFamily {
            subtree: subtree.into(),
            mask: Vec::new(),
            included: false,
        });
        self
    }

    /// Adds a family with a mask.
    pub fn family(mut self, subtree: impl Into<Oid>, mask: Vec<u8>, included: bool) -> Self {
        self.families.push(ViewFamily {
            subtree: subtree.into(),
            mask,
            included,
        });
        self
    }
}

/// vacmSecurityToGroupTable: (security model, security name) → group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The security model.
    pub security_model: SecurityModel,
    /// The securityName (the USM user name).
    pub security_name: String,
    /// vacmGroupName.
    pub group: String,
}

/// vacmAccessTable for the default context "": what a group may do at a minimum level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// vacmGroupName.
    pub group: String,
    /// The security model it applies to; None is `any`.
    pub security_model: Option<SecurityModel>,
    /// vacmAccessSecurityLevel: the minimum level.
    pub level: SecurityLevel,
    /// vacmAccessReadViewName (None: no read access).
    pub read_view: Option<String>,
    /// vacmAccessWriteViewName.
    pub write_view: Option<String>,
    /// vacmAccessNotifyViewName.
    pub notify_view: Option<String>,
}

/// What a notification target receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyKind {
    /// SNMPv2-Trap: fire and forget.
    Trap,
    /// InformRequest: acknowledged by a Response, retried until then.
    Inform,
}

/// How notifications to a target are secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSecurity {
    /// SNMPv2c with a community.
    V2c {
        /// The community string.
        community: String,
    },
    /// SNMPv3 USM as a configured user (see [`EngineConfig::users`]) at `level`.
    V3 {
        /// The user's name.
        user: String,
        /// The security level of the notifications.
        level: SecurityLevel,
    },
}

/// A notification receiver (SNMP-TARGET-MIB snmpTargetAddrTable in its simplest form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where to send.
    pub addr: SocketAddr,
    /// Trap or inform.
    pub kind: NotifyKind,
    /// Version and security.
    pub security: TargetSecurity,
    /// Inform retransmission timeout (fixed: each retry waits the same, like net-snmp).
    pub timeout: Duration,
    /// Inform retransmissions after the first send.
    pub retries: u32,
}

impl Target {
    /// A v2c trap receiver.
    pub fn v2c_trap(addr: SocketAddr, community: &str) -> Self {
        Target {
            addr,
            kind: NotifyKind::Trap,
            security: TargetSecurity::V2c {
                community: community.to_string(),
            },
            timeout: Duration::from_secs(1),
            retries: 3,
        }
    }

    /// A v3 receiver of traps or informs as `user` at `level` (timeout 1 s, 3 retries).
    pub fn v3(addr: SocketAddr, kind: NotifyKind, user: &str, level: SecurityLevel) -> Self {
        Target {
            addr,
            kind,
            security: TargetSecurity::V3 {
                user: user.to_string(),
                level,
            },
            timeout: Duration::from_secs(1),
            retries: 3,
        }
    }
}

/// Everything the engine is configured with.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// snmpEngineID (RFC 3411 §5 SnmpEngineID, 5..=32 octets). Stable across restarts:
    /// the shell persists it.
    pub engine_id: Vec<u8>,
    /// Largest message we build (and advertise as msgMaxSize): 484..=65507.
    pub max_message_size: usize,
    /// v1/v2c communities.
    pub communities: Vec<Community>,
    /// USM users.
    pub users: Vec<User>,
    /// VACM security-to-group entries.
    pub groups: Vec<GroupMember>,
    /// VACM access entries (context "").
    pub access: Vec<Access>,
    /// VACM views.
    pub views: Vec<View>,
    /// Whether users may have DES privacy (RFC 3414 §8; weak, off by default).
    pub allow_des: bool,
    /// Whether Set is served at all (it still needs a write view and a willing Mib).
    pub set_enabled: bool,
    /// Whether authentication failures send an authenticationFailure notification
    /// (snmpEnableAuthenTraps).
    pub authentication_traps: bool,
    /// At most one authenticationFailure notification per this interval.
    pub authentication_trap_interval: Duration,
    /// Notification receivers.
    pub targets: Vec<Target>,
    /// Seed of the PRNG for salts, msgIDs and request-ids.
    pub seed: u64,
}

impl EngineConfig {
    /// A configuration that answers nothing: no community, user, view or target.
    pub fn new(engine_id: Vec<u8>) -> Self {
        EngineConfig {
            engine_id,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            communities: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            access: Vec::new(),
            views: Vec::new(),
            allow_des: false,
            set_enabled: false,
            authentication_traps: false,
            authentication_trap_interval: Duration::from_secs(10),
            targets: Vec::new(),
            seed: 0,
        }
    }

    /// An RFC 3411 §5 engine ID of format 4 (text) under enterprise `enterprise`:
    /// `0x80 | enterprise (4 octets, top bit set), 0x04, text`.
    pub fn text_engine_id(enterprise: u32, text: &str) -> Vec<u8> {
        let mut id = (enterprise | 0x8000_0000).to_be_bytes().to_vec();
        id.push(4);
        id.extend_from_slice(&text.as_bytes()[..text.len().min(27)]);
        id
    }

    /// Adds a view, replacing one of the same name.
    pub fn add_view(&mut self, view: View) -> &mut Self {
        self.views.retain(|v| v.name != view.name);
        self.views.push(view);
        self
    }

    /// "User `user` may read `read_view` (and write `write_view`) at `level` or above":
    /// adds the user's own group and one access entry for USM (notify view = read view).
    pub fn allow_user(
        &mut self,
        user: &str,
        level: SecurityLevel,
        read_view: &str,
        write_view: Option<&str>,
    ) -> &mut Self {
        let group = format!("user:{user}");
        self.groups.push(GroupMember {
            security_model: SecurityModel::Usm,
            security_name: user.to_string(),
            group: group.clone(),
        });
        self.access.push(Access {
            group,
            security_model: Some(SecurityModel::Usm),
            level,
            read_view: Some(read_view.to_string()),
            write_view: write_view.map(str::to_string),
            notify_view: Some(read_view.to_string()),
        });
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let cfg = |m: String| Err(Error::Config(m));
        if !(5..=32).contains(&self.engine_id.len()) {
            return cfg(format!(
                "engine_id must be 5..=32 octets (RFC 3411 §5), got {}",
                self.engine_id.len()
            ));
        }
        if !(484..=65_507).contains(&self.max_message_size) {
            return cfg(format!(
                "max_message_size must be 484..=65507, got {}",
                self.max_message_size
            ));
        }
        let view_exists = |n: &str| self.views.iter().any(|v| v.name == n);
        for c in &self.communities {
            if c.community.is_empty() {
                return cfg("empty community string".into());
            }
            for v in std::iter::once(&c.read_view).chain(c.write_view.iter()) {
                if !view_exists(v) {
                    return cfg(format!("community view {v:?} is not defined"));
                }
            }
        }
        for (i, u) in self.users.iter().enumerate() {
            if u.name.is_empty() || u.name.len() > 32 {
                return cfg(format!("user name {:?} must be 1..=32 octets", u.name));
            }
            if self.users[..i].iter().any(|o| o.name == u.name) {
                return cfg(format!("user {:?} defined twice", u.name));
            }
            if u.privacy.is_some() && u.auth.is_none() {
                return cfg(format!(
                    "user {:?} has privacy without authentication",
                    u.name
                ));
            }
            for pw in u
                .auth
                .iter()
                .map(|a| &a.1)
                .chain(u.privacy.iter().map(|p| &p.1))
            {
                if pw.len() < crate::usm::MIN_PASSWORD_LEN {
                    return cfg(format!(
                        "user {:?}: passwords need at least {} characters",
                        u.name,
                        crate::usm::MIN_PASSWORD_LEN
                    ));
                }
            }
            if matches!(u.privacy, Some((PrivProtocol::Des, _))) && !self.allow_des {
                return cfg(format!("user {:?} uses DES but allow_des is off", u.name));
            }
            if u.min_level.is_some_and(|l| l > u.level()) {
                return cfg(format!(
                    "user {:?}: min_level above what its keys allow",
                    u.name
                ));
            }
        }
        for a in &self.access {
            for v in [&a.read_view, &a.write_view, &a.notify_view]
                .into_iter()
                .flatten()
            {
                if !view_exists(v) {
                    return cfg(format!("access view {v:?} is not defined"));
                }
            }
        }
        for t in &self.targets {
            if let TargetSecurity::V3 { user, level } = &t.security {
                match self.users.iter().find(|u| &u.name == user) {
                    None => return cfg(format!("target user {user:?} is not defined")),
                    Some(u) if u.level() < *level => {
                        return cfg(format!("target user {user:?} has no keys for {level:?}"))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_networks() {
        let n: IpNet = "192.0.2.0/24".parse().unwrap();
        assert!(n.contains("192.0.2.77".parse().unwrap()));
        assert!(!n.contains("192.0.3.1".parse().unwrap()));
        assert!(n.contains("::ffff:192.0.2.9".parse().unwrap()));
        assert!(!n.contains("2001:db8::1".parse().unwrap()));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        let any: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains("203.0.113.5".parse().unwrap()));
        let host: IpNet = "::1".parse().unwrap();
        assert_eq!(host.prefix, 128);
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("nonsense".parse::<IpNet>().is_err());
    }

    #[test]
    fn validation_catches_misconfiguration() {
        let mut c = EngineConfig::new(vec![0x80, 0, 0, 1, 1]);
        assert!(c.validate().is_ok());
        c.communities.push(Community::read_only("public", "all"));
        assert!(c.validate().is_err());
        c.add_view(View::everything("all"));
        assert!(c.validate().is_ok());
        c.users.push(User::auth_priv(
            "u",
            AuthProtocol::Md5,
            "authpass",
            PrivProtocol::Des,
            "privpass",
        ));
        assert!(c.validate().is_err(), "DES needs allow_des");
        c.allow_des = true;
        assert!(c.validate().is_ok());
        c.users
            .push(User::auth("short", AuthProtocol::Sha1, "1234567"));
        assert!(c.validate().is_err());
        c.users.pop();
        c.targets.push(Target::v3(
            "127.0.0.1:162".parse().unwrap(),
            NotifyKind::Inform,
            "nobody",
            SecurityLevel::AuthPriv,
        ));
        assert!(c.validate().is_err());
        c.engine_id = vec![1, 2, 3];
        assert!(c.validate().is_err());
        assert_eq!(
            EngineConfig::text_engine_id(99999, "gw")[..5],
            [0x80, 0x01, 0x86, 0x9f, 4]
        );
    }
}
