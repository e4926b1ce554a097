//! Our definition of the parameters we implement: `datamodel.txt`, compiled in and read
//! once into a [`Schema`] ([`definitions`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::ParamFault;
use crate::field::Binding;
use crate::value::ParamType;

/// The definition table, in the notation its header explains.
pub const DEFINITION_TABLE: &str = include_str!("datamodel.txt");

/// Who may write a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read-only.
    ReadOnly,
    /// Writable through SetParameterValues and by the subscriber when its AccessList
    /// grants it (TR-069 Amendment 6 §A.3.2.4).
    ReadWrite,
    /// Writable through SetParameterValues only: the management server's own settings and
    /// credentials. SetParameterAttributes refuses to grant the subscriber write access
    /// (9001), so a local user cannot take the device away from its ACS.
    AcsOnly,
}

/// The `activeNotify` attribute of a BBF parameter definition (TR-106 §A.2.7.1): what
/// SetParameterAttributes may do with its Notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActiveNotify {
    /// Any notification may be set; off by default.
    Normal,
    /// Active notification is refused (9009): the value changes too often (counters,
    /// UpTime).
    CanDeny,
    /// Always active; requests to change it are refused (9009).
    ForceEnabled,
    /// Active by default; may be changed.
    ForceDefaultEnabled,
}

/// Which Broadband Forum document defines a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standard {
    /// TR-181 Device:2 (`tr-181-2-17-0-cwmp-full.xml`).
    Tr181,
    /// TR-104 issue 2, VoiceService:2.0 (`tr-104-2-0-2-cwmp-full.xml`).
    Tr104Issue2,
    /// TR-104 issue 1, VoiceService:1.1 (`tr-104-1-1-0-full.xml`).
    Tr104Issue1,
    /// A Tipring vendor extension (`X_TIPRING_...`, TR-106 §3.3).
    Vendor,
}

/// Where the instance count of a multi-instance object comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instances {
    /// Exactly one instance (`VoiceService.1`, `VoiceProfile.1`, `EventProfile.1`).
    One,
    /// One per configured FXS port, port N is instance N (`POTS.FXS`, `SIP.Client`,
    /// `SIP.Network`, `CallControl.Line`, `Extension`, `NumberingPlan`,
    /// `CallingFeatures.Set`, `VoIPProfile`, issue 1 `Line`).
    Ports,
    /// One per TR-104 codec of this build (`Capabilities.Codec`, `CodecProfile`, issue 1
    /// `Line.{i}.Codec.List`).
    Codecs,
    /// The firmware slots the agent reports.
    Firmware,
    /// The vendor log files the agent reports.
    Logs,
    /// The IP interfaces the agent reports.
    IpInterfaces,
    /// The IPv4 addresses of an IP interface.
    Ipv4Addresses,
    /// The Ethernet interfaces the agent reports.
    EthernetInterfaces,
    /// One per tone of the country's tone plan.
    ToneDescriptions,
    /// One per cadence step of those tones.
    TonePatterns,
    /// One per tone event (the same tones).
    ToneEvents,
    /// One per finished call the agent keeps (`CallLog`).
    Calls,
}

impl Instances {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "one" => Instances::One,
            "ports" => Instances::Ports,
            "codecs" => Instances::Codecs,
            "firmware" => Instances::Firmware,
            "logs" => Instances::Logs,
            "ipif" => Instances::IpInterfaces,
            "ipv4" => Instances::Ipv4Addresses,
            "eth" => Instances::EthernetInterfaces,
            "tone_desc" => Instances::ToneDescriptions,
            "tone_pattern" => Instances::TonePatterns,
            "tone_event" => Instances::ToneEvents,
            "calls" => Instances::Calls,
            _ => return None,
        })
    }
}

/// One parameter we implement.
#[derive(Debug, Clone)]
pub struct ParamDef {
    /// Full path with `{i}` for instance numbers
    /// (`Device.Services.VoiceService.{i}.POTS.FXS.{i}.Enable`).
    pub path: String,
    /// Its last segment (`Enable`).
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// Who may write it.
    pub access: Access,
    /// What notification it allows.
    pub active_notify: ActiveNotify,
    /// Sent in every Inform (`forcedInform`).
    pub forced_inform: bool,
    /// A password: reads as "" whatever its value (TR-181 `hidden`, TR-104 `secured`).
    pub secret: bool,
    /// The document that defines it.
    pub standard: Standard,
    /// Why we differ from the BBF definition: a parameter the BBF makes writable that is
    /// read-only here (9008), or writable but accepting a single value (9007 otherwise).
    pub deviation: Option<String>,
    /// The object it belongs to (index into [`Schema::objects`]).
    pub object: usize,
    pub(crate) binding: Binding,
}

impl ParamDef {
    /// Whether SetParameterValues may write it.
    pub fn writable(&self) -> bool {
        self.access != Access::ReadOnly
    }

    /// Whether the BBF definition makes it writable.
    pub fn bbf_writable(&self) -> bool {
        self.writable() || self.deviation.is_some()
    }

    /// The default Notification attribute (TR-069 Amendment 6 §A.3.2.4): active for
    /// `forceEnabled` and `forceDefaultEnabled` parameters, off otherwise.
    pub fn default_notification(&self) -> crate::Notification {
        match self.active_notify {
            ActiveNotify::ForceEnabled | ActiveNotify::ForceDefaultEnabled => {
                crate::Notification::Active
            }
            _ => crate::Notification::Off,
        }
    }
}

/// One object we implement.
#[derive(Debug, Clone)]
pub struct ObjectDef {
    /// Full path with `{i}`, ending in `.` (`Device.Services.VoiceService.{i}.POTS.`).
    pub path: String,
    /// For a multi-instance object (its path ends in `{i}.`): where its count comes from.
    pub instances: Option<Instances>,
    /// Its parent object (`None` for `Device.`).
    pub parent: Option<usize>,
    /// The last name segment (`FXS` for `...POTS.FXS.{i}.`).
    pub(crate) segment: String,
    /// Child objects, in table order.
    pub(crate) children: Vec<usize>,
    /// Its parameters, in table order (indexes into [`Schema::params`]).
    pub(crate) params: Vec<usize>,
    /// The instance kinds of the tables on its path, outermost first (its own last).
    pub(crate) tables: Vec<Instances>,
}

impl ObjectDef {
    /// Whether it is a multi-instance object (a table row).
    pub fn is_table(&self) -> bool {
        self.instances.is_some()
    }

    /// The path of the table itself (`...POTS.FXS.` for `...POTS.FXS.{i}.`).
    pub fn table_path(&self) -> Option<&str> {
        self.is_table()
            .then(|| &self.path[..self.path.len() - "{i}.".len()])
    }
}

/// What a name (with instance numbers replaced by `{i}`) denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node {
    /// An object (a single object or one row of a table).
    Object(usize),
    /// A table itself (`...FXS.`): the object index of its rows.
    Table(usize),
    /// A parameter.
    Param(usize),
}

/// The whole definition: objects and parameters in table order.
#[derive(Debug)]
pub struct Schema {
    objects: Vec<ObjectDef>,
    params: Vec<ParamDef>,
    index: HashMap<String, Node>,
}

/// Our definition of every object and parameter, read from [`DEFINITION_TABLE`] at first
/// use.
pub fn definitions() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // The table is part of the source code and `schema::tests` parses it; a mistake
        // in it is a bug in this crate, caught by every test.
        Schema::parse(DEFINITION_TABLE)
            .unwrap_or_else(|e| panic!("datamodel.txt is not a valid definition table: {e}"))
    })
}

impl Schema {
    /// Every object, in table order.
    pub fn objects(&self) -> &[ObjectDef] {
        &self.objects
    }

    /// Every parameter, in table order.
    pub fn params(&self) -> &[ParamDef] {
        &self.params
    }

    /// The parameter with this `{i}` path.
    pub fn param(&self, path: &str) -> Option<&ParamDef> {
        match self.index.get(path) {
            Some(Node::Param(i)) => Some(&self.params[*i]),
            _ => None,
        }
    }

    /// The parameters that differ from their BBF definition, with the reason.
    pub fn deviations(&self) -> impl Iterator<Item = &ParamDef> {
        self.params.iter().filter(|p| p.deviation.is_some())
    }

    pub(crate) fn node(&self, template: &str) -> Option<Node> {
        self.index.get(template).copied()
    }

    /// Read a definition table.
    pub(crate) fn parse(text: &str) -> Result<Schema, String> {
        let mut s = Schema {
            objects: Vec::new(),
            params: Vec::new(),
            index: HashMap::new(),
        };
        for (n, raw) in text.lines().enumerate() {
            let at = |m: String| format!("line {}: {m}", n + 1);
            let (line, comment) = match raw.split_once('#') {
                Some((l, c)) => (l.trim(), Some(c.trim())),
                None => (raw.trim(), None),
            };
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("object ") {
                if comment.is_some() {
                    return Err(at("no comment after an object line".into()));
                }
                s.add_object(rest).map_err(at)?;
            } else {
                s.add_param(line, comment).map_err(at)?;
            }
        }
        Ok(s)
    }

    fn add_object(&mut self, rest: &str) -> Result<(), String> {
        let mut words = rest.split_whitespace();
        let path = words.next().ok_or("an object needs a path")?.to_string();
        let instances = words
            .next()
            .map(|w| Instances::parse(w).ok_or_else(|| format!("unknown instance count `{w}`")));
        let instances = instances.transpose()?;
        if words.next().is_some() {
            return Err("too many words on an object line".into());
        }
        if !path.ends_with('.') || path.contains("..") {
            return Err(format!("`{path}` must end in one `.`"));
        }
        let is_table = path.ends_with(".{i}.");
        if is_table != instances.is_some() {
            return Err(format!(
                "`{path}`: a table ends in `{{i}}.` and names its instance count"
            ));
        }
        let trimmed = path.trim_end_matches('.');
        let trimmed = trimmed.strip_suffix(".{i}").unwrap_or(trimmed);
        let (parent_path, segment) = match trimmed.rsplit_once('.') {
            Some((p, seg)) => (Some(format!("{p}.")), seg.to_string()),
            None => (None, trimmed.to_string()),
        };
        let parent = match parent_path {
            None => None,
            Some(pp) => match self.index.get(&pp) {
                Some(Node::Object(i)) => Some(*i),
                _ => {
                    return Err(format!(
                        "`{path}`: its parent `{pp}` is not defined above it"
                    ))
                }
            },
        };
        let idx = self.objects.len();
        let mut tables = parent
            .map(|p| self.objects[p].tables.clone())
            .unwrap_or_default();
        tables.extend(instances);
        if self.index.insert(path.clone(), Node::Object(idx)).is_some() {
            return Err(format!("`{path}` defined twice"));
        }
        if is_table {
            let table = path[..path.len() - "{i}.".len()].to_string();
            if self.index.insert(table, Node::Table(idx)).is_some() {
                return Err(format!("`{path}`: its table name is taken"));
            }
        }
        if let Some(p) = parent {
            self.objects[p].children.push(idx);
        }
        self.objects.push(ObjectDef {
            path,
            instances,
            parent,
            segment,
            children: Vec::new(),
            params: Vec::new(),
            tables,
        });
        Ok(())
    }

    fn add_param(&mut self, line: &str, comment: Option<&str>) -> Result<(), String> {
        let object = self
            .objects
            .len()
            .checked_sub(1)
            .ok_or("a parameter before any object")?;
        let mut rest = line;
        let mut words = [""; 4];
        for w in &mut words {
            rest = rest.trim_start();
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            *w = &rest[..end];
            rest = &rest[end..];
        }
        let [name, ty, access, flags] = words;
        let source = rest.trim();
        if source.is_empty() {
            return Err(format!("`{name}`: name, type, access, flags and source"));
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("bad parameter name `{name}`"));
        }
        let ty: ParamType = ty.parse()?;
        let (access, deviation_access) = match access {
            "R" => (Access::ReadOnly, false),
            "W" => (Access::ReadWrite, false),
            "A" => (Access::AcsOnly, false),
            "D" => (Access::ReadOnly, true),
            other => return Err(format!("`{name}`: unknown access `{other}`")),
        };
        let mut active_notify = ActiveNotify::Normal;
        let (mut forced_inform, mut secret, mut issue1) = (false, false, false);
        for f in flags.split(',').filter(|f| *f != "-") {
            match f {
                "forced" => forced_inform = true,
                "deny" => active_notify = ActiveNotify::CanDeny,
                "force" => active_notify = ActiveNotify::ForceEnabled,
                "default" => active_notify = ActiveNotify::ForceDefaultEnabled,
                "secret" => secret = true,
                "i1" => issue1 = true,
                other => return Err(format!("`{name}`: unknown flag `{other}`")),
            }
        }
        let binding = Binding::parse(source, &ty).map_err(|e| format!("`{name}`: {e}"))?;
        let fixed = matches!(binding, Binding::Const(_)) && access != Access::ReadOnly;
        let deviation = if deviation_access || fixed {
            match comment {
                Some(c) if !c.is_empty() => Some(c.to_string()),
                _ => return Err(format!("`{name}`: a deviation needs a `# why`")),
            }
        } else {
            if comment.is_some() {
                return Err(format!("`{name}`: a comment is only for a deviation"));
            }
            None
        };
        if access != Access::ReadOnly && !binding.writable() && !fixed {
            return Err(format!(
                "`{name}`: writable, but its source `{source}` is not"
            ));
        }
        let path = format!("{}{name}", self.objects[object].path);
        let standard = if name.starts_with("X_") {
            Standard::Vendor
        } else if issue1 || path.contains(".VoiceProfile.") {
            Standard::Tr104Issue1
        } else if path.starts_with("Device.Services.VoiceService") {
            Standard::Tr104Issue2
        } else {
            Standard::Tr181
        };
        let idx = self.params.len();
        if self.index.insert(path.clone(), Node::Param(idx)).is_some() {
            return Err(format!("`{path}` defined twice"));
        }
        self.objects[object].params.push(idx);
        self.params.push(ParamDef {
            path,
            name: name.to_string(),
            ty,
            access,
            active_notify,
            forced_inform,
            secret,
            standard,
            deviation,
            object,
            binding,
        });
        Ok(())
    }
}

/// A name split into its `{i}` template and instance numbers
/// (`Device.X.2.Y` → `Device.X.{i}.Y`, `[2]`). Instance numbers are 1 or more, without
/// leading zeros (TR-069 Amendment 6 §A.2.2.1: they are assigned by the CPE, from 1).
pub(crate) fn split_instances(name: &str) -> Result<(String, Vec<u32>), ParamFault> {
    let bad = || {
        ParamFault::name(format!(
            "`{}` is not a parameter or object name",
            crate::value::shown(name)
        ))
    };
    if name.is_empty() || name.len() > 512 {
        return Err(bad());
    }
    let mut template = String::with_capacity(name.len() + 8);
    let mut indices = Vec::new();
    let segments: Vec<&str> = name.split('.').collect();
    let last = segments.len() - 1;
    for (k, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            // Only a final empty segment (a partial path ending in `.`) is allowed.
            if k != last || k == 0 {
                return Err(bad());
            }
            continue;
        }
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            if seg.starts_with('0') || seg.len() > 9 {
                return Err(bad());
            }
            indices.push(seg.parse().map_err(|_| bad())?);
            template.push_str("{i}");
        } else if seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            template.push_str(seg);
        } else {
            return Err(bad());
        }
        if k != last {
            template.push('.');
        }
    }
    Ok((template, indices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_parses() {
        let s = Schema::parse(DEFINITION_TABLE).unwrap();
        assert!(s.params().len() > 250, "{}", s.params().len());
        assert_eq!(s.objects()[0].path, "Device.");
        // Every object's parent is defined; tables name their counts.
        for o in s.objects().iter().skip(1) {
            assert!(o.parent.is_some(), "{}", o.path);
            assert_eq!(o.is_table(), o.path.ends_with("{i}."), "{}", o.path);
        }
    }

    /// Deviations carry their reason; TR-181 `Device.ManagementServer.Password` is hidden.
    #[test]
    fn deviations_and_secrets_are_marked() {
        let s = definitions();
        let boot = s.param("Device.DeviceInfo.BootFirmwareImage").unwrap();
        assert!(!boot.writable() && boot.bbf_writable());
        assert!(boot.deviation.as_deref().unwrap().contains("Download"));
        let pw = s.param("Device.ManagementServer.Password").unwrap();
        assert!(pw.secret && pw.access == Access::AcsOnly);
        let op = s
            .param("Device.Services.VoiceService.{i}.SIP.Network.{i}.OutboundProxy")
            .unwrap();
        assert!(op.writable() && op.deviation.is_some());
        assert!(s.deviations().count() > 20);
        let key = s.param("Device.ManagementServer.ParameterKey").unwrap();
        assert!(key.forced_inform && key.active_notify == ActiveNotify::CanDeny);
    }

    #[test]
    fn standards_follow_the_path() {
        let s = definitions();
        let std = |p: &str| s.param(p).unwrap().standard;
        assert_eq!(std("Device.DeviceInfo.UpTime"), Standard::Tr181);
        assert_eq!(
            std("Device.Services.VoiceService.{i}.POTS.Region"),
            Standard::Tr104Issue2
        );
        assert_eq!(
            std("Device.Services.VoiceService.{i}.VoiceProfile.{i}.DigitMap"),
            Standard::Tr104Issue1
        );
        assert_eq!(
            std("Device.Services.VoiceService.{i}.VoiceProfileNumberOfEntries"),
            Standard::Tr104Issue1
        );
        assert_eq!(
            std(
                "Device.Services.VoiceService.{i}.CallControl.NumberingPlan.{i}.X_TIPRING_DialPlan"
            ),
            Standard::Vendor
        );
    }

    #[test]
    fn table_mistakes_are_reported_with_their_line() {
        let bad = [
            ("Name string R - =x", "before any object"),
            ("object Device.\nobject Device.X.{i}.", "instance count"),
            ("object Device.\nobject Device.X.Y.", "parent"),
            ("object Device.\nA string W - =x", "deviation"),
            ("object Device.\nA string D - dev.manufacturer", "deviation"),
            (
                "object Device.\nA string R - dev.manufacturer # why",
                "only for a deviation",
            ),
            ("object Device.\nA string W - dev.manufacturer", "not"),
            ("object Device.\nA strin R - =x", "unknown type"),
            ("object Device.\nA string R - nosuch.field", "unknown"),
            ("object Device.\nA boolean R - =maybe", "boolean"),
            ("object Device.\nA string R - =x\nA string R - =y", "twice"),
        ];
        for (text, want) in bad {
            let e = Schema::parse(text).unwrap_err();
            assert!(e.contains(want) && e.starts_with("line "), "{text}: {e}");
        }
    }

    /// TR-069 Amendment 6 §A.2.2.1 instance numbers: digits without leading zeros.
    #[test]
    fn names_split_into_template_and_instances() {
        let (t, i) = split_instances("Device.Services.VoiceService.1.POTS.FXS.12.Enable").unwrap();
        assert_eq!(t, "Device.Services.VoiceService.{i}.POTS.FXS.{i}.Enable");
        assert_eq!(i, [1, 12]);
        let (t, i) = split_instances("Device.DeviceInfo.").unwrap();
        assert_eq!((t.as_str(), i.len()), ("Device.DeviceInfo.", 0));
        for bad in [
            "",
            ".",
            "Device..X",
            ".Device",
            "Device.X.01.Y",
            "Device.X.0.Y",
            "Device.X.{i}.Y",
            "Device.X Y",
            "Device.X.9999999999.Y",
        ] {
            assert!(split_instances(bad).is_err(), "{bad}");
        }
    }
}
