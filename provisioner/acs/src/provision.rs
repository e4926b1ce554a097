//! Provisioning: a profile's template rendered into a gateway configuration
//! ([`render`]), and that configuration as the TR-104 parameter values a device must hold
//! ([`plan`]).
//!
//! # Templates
//!
//! A template ([`Profile::template`]) is a `tipring-config` document in JSON whose
//! strings may hold placeholders:
//!
//! | placeholder | becomes |
//! |---|---|
//! | `{{name}}` | the variable's text, anywhere inside a string (several per string are fine) |
//! | `{{int:name}}` | a JSON number; the string must be this placeholder alone |
//! | `{{bool:name}}` | a JSON boolean (`true`/`false`); the string must be this placeholder alone |
//! | `{{secret:NAME}}` | the secret `NAME` (a per-device secret the shell keeps sealed); inside `$each_port`, `#` in `NAME` is the port number |
//!
//! Object keys are not rendered, and `{{` always opens a placeholder. Variables, first
//! match wins:
//!
//! 1. built-ins: `serial`, `oui`, `product_class`, `device_id`, `model` (the device's),
//!    `site` (its site's name, empty without one), `ports` (the port count), and inside
//!    `$each_port` `port` (1..=N) and `extension` (`first_extension` + port − 1, keeping
//!    `first_extension`'s width: `0100` gives `0100`, `0101`, ...);
//! 2. the site's variables (`pbx`, `domain`, `first_extension`, ...);
//! 3. the profile's variables (defaults).
//!
//! A variable none of these define is an error naming it ([`Error::UnknownVariable`]).
//!
//! **Ports.** The `ports` array is either literal, or holds exactly one element
//! `{"$each_port": { ...one port... }}`, which is rendered once per port of the device,
//! in port order:
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "device": { "name": "{{site}}-{{serial}}", "country": "{{country}}" },
//!   "sip": { "servers": ["{{pbx}}"], "domain": "{{domain}}",
//!            "registration_expiry_s": "{{int:expiry}}" },
//!   "ports": [ { "$each_port": {
//!       "extension": "{{extension}}",
//!       "display_name": "{{site}} port {{port}}",
//!       "password": "{{secret:ports.#.password}}"
//!   } } ]
//! }
//! ```
//!
//! `$each_port` anywhere else is an error. `schema_version` may be left out (the current
//! one is used). The rendered document must pass [`GatewayConfig::validate`]; its errors
//! name the field ([`Error::InvalidConfig`]). Per-port SIP passwords are
//! `{{secret:ports.#.password}}`: [`required_secrets`] lists the names a render needs, so
//! that the shell generates the missing ones (random and strong: the shell's job) and
//! stores them sealed before it renders.
//!
//! # Plans
//!
//! [`plan`] turns a configuration into the values of the TR-104 parameters that carry
//! it, under the device's root, with their types, secrets included, and a digest that
//! says whether a device already holds exactly this plan. The values come from
//! `tipring-datamodel` ([`Tree::provisioning_values`]): the same view of a configuration
//! our agent serves, so a plan pushed to our agent rebuilds the configuration.
//! [`VoicePaths`] picks the object set: TR-104 issue 2 (`SIP.Client.{i}`,
//! `CallControl.Line.{i}`, ...), issue 2 with Tipring's `X_TIPRING_` extensions (our
//! agent: the server list, the dial plan, the SRTP policy), or issue 1
//! (`VoiceProfile.1.Line.{i}`) for CPEs without issue 2.
//!
//! Not in a plan: codec selections (`SIP.Network.{i}.CodecList`, issue 1
//! `Line.{i}.Codec.List.{j}`), whose values name rows of the device's own codec table,
//! which an ACS does not know in advance; `ManagementServer` and `Time` (outside TR-104).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use tipring_config::GatewayConfig;
use tipring_cwmp::ValueType;
use tipring_datamodel::{definitions, CwmpState, DeviceIdentity, LiveState, Tree};

use crate::admission::hex;
use crate::error::{Error, Result};
use crate::model::{CachedParameter, Device, DriftPolicy, Profile, Root, Site};

/// The key that marks the per-port template in `ports`.
pub const EACH_PORT: &str = "$each_port";

/// A rendered configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedConfig {
    /// The document (valid; its secrets are `***` in `Debug`).
    pub config: GatewayConfig,
    /// The secrets it holds, by name (`ports.1.password`), in order of first use.
    pub secret_names: Vec<String>,
}

/// Renders a profile's template for a device (see the module documentation).
///
/// `ports` is the device's FXS port count (at least 1; see [`port_count`]). `secrets`
/// gives a secret's value by name; a secret it does not have is
/// [`Error::MissingSecret`]. Error messages never hold a secret's value.
pub fn render(
    profile: &Profile,
    site: Option<&Site>,
    device: &Device,
    ports: u32,
    secrets: &dyn Fn(&str) -> Option<String>,
) -> Result<RenderedConfig> {
    if ports == 0 {
        return Err(Error::Template("a device has at least one port".into()));
    }
    let template = parse_template(&profile.template)?;
    let mut vars: BTreeMap<String, String> = profile.variables.clone();
    if let Some(s) = site {
        vars.extend(s.variables.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let site_name = site
        .map(|s| s.name.clone())
        .or_else(|| device.site.clone())
        .unwrap_or_default();
    for (k, v) in [
        ("serial", device.key.serial.clone()),
        ("oui", device.key.oui.clone()),
        ("product_class", device.key.product_class.clone()),
        ("device_id", device.id.clone()),
        ("model", device.model.clone()),
        ("site", site_name),
        ("ports", ports.to_string()),
    ] {
        vars.insert(k.to_string(), v);
    }
    let mut r = Renderer {
        vars: &vars,
        port: None,
        secrets,
        used: Vec::new(),
    };
    let mut doc = match template {
        Json::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let path = k.clone();
                let rendered = if k == "ports" {
                    r.ports(&v, ports)?
                } else {
                    r.value(&v, &path)?
                };
                out.insert(k, rendered);
            }
            out
        }
        _ => return Err(Error::Template("the template must be a JSON object".into())),
    };
    doc.entry("schema_version")
        .or_insert_with(|| Json::from(tipring_config::SCHEMA_VERSION));
    let bytes = serde_json::to_vec(&Json::Object(doc))
        .map_err(|e| Error::Template(format!("cannot serialise the rendered document: {e}")))?;
    let config = tipring_config::parse(&bytes).map_err(Error::InvalidConfig)?;
    Ok(RenderedConfig {
        config,
        secret_names: r.used,
    })
}

/// The secrets a render of this profile for a device with `ports` ports needs, by name
/// (`ports.1.password`, ...), in order of first use, each once.
pub fn required_secrets(profile: &Profile, ports: u32) -> Result<Vec<String>> {
    let template = parse_template(&profile.template)?;
    let mut names = Vec::new();
    let Json::Object(map) = &template else {
        return Err(Error::Template("the template must be a JSON object".into()));
    };
    for (k, v) in map {
        if k == "ports" {
            if let Some(t) = each_port(v, k)? {
                for p in 1..=ports {
                    scan_secrets(t, Some(p), k, &mut names)?;
                }
                continue;
            }
        }
        scan_secrets(v, None, k, &mut names)?;
    }
    Ok(names)
}

/// The FXS port count a device reported, from its cached parameters: TR-104 issue 2
/// `POTS.FXSNumberOfEntries`, else issue 1 `VoiceProfile.1.NumberOfLines`, else
/// `Capabilities.MaxLineCount`.
pub fn port_count(parameters: &[CachedParameter]) -> Option<u32> {
    let find = |suffix: &str| {
        parameters
            .iter()
            .find(|p| p.name.ends_with(suffix) && p.name.contains(".VoiceService.1."))
            .and_then(|p| p.value.trim().parse::<u32>().ok())
            .filter(|n| *n > 0)
    };
    find(".POTS.FXSNumberOfEntries")
        .or_else(|| find(".VoiceProfile.1.NumberOfLines"))
        .or_else(|| find(".Capabilities.MaxLineCount"))
}

fn parse_template(text: &str) -> Result<Json> {
    serde_json::from_str(text).map_err(|e| Error::Template(format!("not JSON: {e}")))
}

/// The per-port template of a `ports` value, if it is `[{"$each_port": {...}}]`.
fn each_port<'a>(v: &'a Json, path: &str) -> Result<Option<&'a Json>> {
    let Json::Array(items) = v else {
        return Ok(None);
    };
    let marked = |x: &Json| x.as_object().is_some_and(|o| o.contains_key(EACH_PORT));
    if !items.iter().any(marked) {
        return Ok(None);
    }
    match items.as_slice() {
        [Json::Object(o)] if o.len() == 1 => Ok(o.get(EACH_PORT)),
        _ => Err(Error::Template(format!(
            "{path}: `{EACH_PORT}` must be the only element of the array and the only key of its object"
        ))),
    }
}

/// A placeholder found in a string.
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
    Int(&'a str),
    Bool(&'a str),
    Secret(&'a str),
}

/// Splits a string into text and placeholders.
fn pieces<'a>(s: &'a str, path: &str) -> Result<Vec<Piece<'a>>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| Error::Template(format!("{path}: `{{{{` without `}}}}`")))?;
        let inner = after[..end].trim();
        let (kind, name) = inner.split_once(':').unwrap_or(("", inner));
        let name = name.trim();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '#');
        if name.is_empty() || !name.chars().all(ok_char) {
            return Err(Error::Template(format!(
                "{path}: `{{{{{inner}}}}}` is not a placeholder"
            )));
        }
        if kind != "secret" && name.contains('#') {
            return Err(Error::Template(format!(
                "{path}: `#` belongs in secret names only"
            )));
        }
        out.push(match kind.trim() {
            "" => Piece::Var(name),
            "int" => Piece::Int(name),
            "bool" => Piece::Bool(name),
            "secret" => Piece::Secret(name),
            other => {
                return Err(Error::Template(format!(
                    "{path}: unknown placeholder kind `{other}` (int, bool or secret)"
                )))
            }
        });
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

fn secret_name(name: &str, port: Option<u32>, path: &str) -> Result<String> {
    match port {
        Some(p) => Ok(name.replace('#', &p.to_string())),
        None if name.contains('#') => Err(Error::Template(format!(
            "{path}: `#` (the port number) is only defined inside `{EACH_PORT}`"
        ))),
        None => Ok(name.to_string()),
    }
}

fn scan_secrets(v: &Json, port: Option<u32>, path: &str, names: &mut Vec<String>) -> Result<()> {
    match v {
        Json::String(s) => {
            for p in pieces(s, path)? {
                if let Piece::Secret(n) = p {
                    let n = secret_name(n, port, path)?;
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
        }
        Json::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                scan_secrets(x, port, &format!("{path}[{i}]"), names)?;
            }
        }
        Json::Object(o) => {
            if o.contains_key(EACH_PORT) {
                return Err(Error::Template(format!(
                    "{path}: `{EACH_PORT}` is only allowed in `ports`"
                )));
            }
            for (k, x) in o {
                scan_secrets(x, port, &format!("{path}.{k}"), names)?;
            }
        }
        _ => {}
    }
    Ok(())
}

struct Renderer<'a> {
    vars: &'a BTreeMap<String, String>,
    port: Option<u32>,
    secrets: &'a dyn Fn(&str) -> Option<String>,
    used: Vec<String>,
}

impl Renderer<'_> {
    fn ports(&mut self, v: &Json, count: u32) -> Result<Json> {
        let Some(t) = each_port(v, "ports")? else {
            return self.value(v, "ports");
        };
        let mut out = Vec::with_capacity(count as usize);
        for p in 1..=count {
            self.port = Some(p);
            let r = self.value(t, &format!("ports[{}]", p - 1));
            self.port = None;
            out.push(r?);
        }
        Ok(Json::Array(out))
    }

    fn value(&mut self, v: &Json, path: &str) -> Result<Json> {
        Ok(match v {
            Json::String(s) => self.string(s, path)?,
            Json::Array(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.value(x, &format!("{path}[{i}]")))
                    .collect::<Result<_>>()?,
            ),
            Json::Object(o) => {
                if o.contains_key(EACH_PORT) {
                    return Err(Error::Template(format!(
                        "{path}: `{EACH_PORT}` is only allowed in `ports`"
                    )));
                }
                let mut out = Map::new();
                for (k, x) in o {
                    out.insert(k.clone(), self.value(x, &format!("{path}.{k}"))?);
                }
                Json::Object(out)
            }
            other => other.clone(),
        })
    }

    fn var(&self, name: &str, path: &str) -> Result<String> {
        match name {
            "port" => self
                .port
                .map(|p| p.to_string())
                .ok_or_else(|| Error::BadVariable {
                    name: name.into(),
                    path: path.into(),
                    message: format!("only defined inside `{EACH_PORT}`"),
                }),
            "extension" => {
                let port = self.port.ok_or_else(|| Error::BadVariable {
                    name: name.into(),
                    path: path.into(),
                    message: format!("only defined inside `{EACH_PORT}`"),
                })?;
                let first =
                    self.vars
                        .get("first_extension")
                        .ok_or_else(|| Error::UnknownVariable {
                            name: "first_extension".into(),
                            path: path.into(),
                        })?;
                let first = first.trim();
                let n: u64 = first
                    .parse()
                    .ok()
                    .filter(|_| first.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| Error::BadVariable {
                        name: "first_extension".into(),
                        path: path.into(),
                        message: "must be digits".into(),
                    })?;
                let ext = n
                    .checked_add(u64::from(port) - 1)
                    .ok_or_else(|| Error::BadVariable {
                        name: "first_extension".into(),
                        path: path.into(),
                        message: "too large".into(),
                    })?;
                Ok(format!("{ext:0width$}", width = first.len()))
            }
            _ => self
                .vars
                .get(name)
                .cloned()
                .ok_or_else(|| Error::UnknownVariable {
                    name: name.into(),
                    path: path.into(),
                }),
        }
    }

    fn string(&mut self, s: &str, path: &str) -> Result<Json> {
        let parts = pieces(s, path)?;
        if let [one] = parts.as_slice() {
            match one {
                Piece::Int(name) => {
                    let text = self.var(name, path)?;
                    let n: i64 = text.trim().parse().map_err(|_| Error::BadVariable {
                        name: name.to_string(),
                        path: path.into(),
                        message: format!("`{text}` is not an integer"),
                    })?;
                    return Ok(Json::from(n));
                }
                Piece::Bool(name) => {
                    let text = self.var(name, path)?;
                    return match text.trim() {
                        "true" => Ok(Json::Bool(true)),
                        "false" => Ok(Json::Bool(false)),
                        _ => Err(Error::BadVariable {
                            name: name.to_string(),
                            path: path.into(),
                            message: format!("`{text}` is not true or false"),
                        }),
                    };
                }
                _ => {}
            }
        }
        let mut out = String::with_capacity(s.len());
        for p in parts {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(n) => out.push_str(&self.var(n, path)?),
                Piece::Secret(n) => {
                    let name = secret_name(n, self.port, path)?;
                    let value =
                        (self.secrets)(&name).ok_or_else(|| Error::MissingSecret(name.clone()))?;
                    out.push_str(&value);
                    if !self.used.contains(&name) {
                        self.used.push(name);
                    }
                }
                Piece::Int(n) | Piece::Bool(n) => {
                    return Err(Error::BadVariable {
                        name: n.to_string(),
                        path: path.into(),
                        message: "`int:` and `bool:` placeholders must be the whole string".into(),
                    })
                }
            }
        }
        Ok(Json::String(out))
    }
}

// ---- plans ----

/// Which TR-104 objects carry a device's voice configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VoicePaths {
    /// TR-104 issue 1: `VoiceService.1.VoiceProfile.1.` and its `Line.{i}.` (TR-098 CPEs
    /// and others without issue 2). Standard parameters only.
    Issue1,
    /// TR-104 issue 2: `SIP.Client.{i}`, `SIP.Network.{i}`, `CallControl.Line.{i}`,
    /// `CallControl.Extension.{i}`, `CallingFeatures.Set.{i}`, `VoIPProfile.{i}`,
    /// `POTS.FXS.{i}`. Standard parameters only.
    #[default]
    Issue2,
    /// Issue 2 plus Tipring's `X_TIPRING_` parameters (the SIP server list, the dial plan,
    /// the SRTP policy): our agent.
    Tipring,
}

impl VoicePaths {
    /// A guess from what the device said: Tipring's extensions when its cached names show
    /// them or it is a Tipring device on the `Device.` root; issue 1 on the TR-098 root or
    /// when its cache shows `VoiceProfile` objects and no `CallControl`; issue 2
    /// otherwise.
    pub fn detect(device: &Device, cache: &[CachedParameter]) -> VoicePaths {
        let has = |needle: &str| cache.iter().any(|p| p.name.contains(needle));
        if has(".X_TIPRING_")
            || (device.manufacturer.eq_ignore_ascii_case("Tipring")
                && device.root != Root::InternetGatewayDevice)
        {
            return VoicePaths::Tipring;
        }
        if device.root == Root::InternetGatewayDevice
            || (has(".VoiceService.1.VoiceProfile.") && !has(".VoiceService.1.CallControl."))
        {
            return VoicePaths::Issue1;
        }
        VoicePaths::Issue2
    }
}

/// One parameter of a plan.
#[derive(Clone, PartialEq, Eq)]
pub struct PlannedParameter {
    /// Full name under the device's root.
    pub name: String,
    /// The value in its lexical form.
    pub value: String,
    /// Its `xsi:type`.
    pub kind: ValueType,
    /// A password: it reads back as "" and is pushed whenever the plan is new to the
    /// device.
    pub secret: bool,
}

impl fmt::Debug for PlannedParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannedParameter")
            .field("name", &self.name)
            .field(
                "value",
                &if self.secret {
                    "***"
                } else {
                    self.value.as_str()
                },
            )
            .field("kind", &self.kind)
            .finish()
    }
}

/// The parameter values a device must hold (see the module documentation). `Debug`
/// hides the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionPlan {
    /// The root the names use.
    pub root: Root,
    /// The objects used.
    pub voice_paths: VoicePaths,
    /// The values, by name.
    pub parameters: Vec<PlannedParameter>,
    /// The object instances that must exist (`...SIP.Client.2.`), outermost first.
    pub instances: Vec<String>,
    /// SHA-256 (hex) over the lines `name=value` in name order, secrets included (`\`
    /// and line breaks in values escaped as `\\`, `\n`, `\r`): equal digests, equal plans.
    pub digest: String,
    /// What to do when an Inform shows the device drifted from the plan (the profile's
    /// setting; [`DriftPolicy::Correct`] unless the caller sets it).
    pub drift: DriftPolicy,
}

impl ProvisionPlan {
    /// The planned parameter with this name.
    pub fn get(&self, name: &str) -> Option<&PlannedParameter> {
        self.parameters
            .binary_search_by(|p| p.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.parameters[i])
    }

    /// The plan with another drift policy.
    pub fn with_drift(mut self, drift: DriftPolicy) -> Self {
        self.drift = drift;
        self
    }

    /// The plan with more parameters (a same name replaces the planned one), e.g. the
    /// `ManagementServer` credentials an ACS gives every device, which a configuration
    /// document does not carry; the digest covers them too.
    pub fn with_parameters(mut self, extra: Vec<PlannedParameter>) -> Self {
        for p in extra {
            match self
                .parameters
                .binary_search_by(|q| q.name.as_str().cmp(&p.name))
            {
                Ok(i) => self.parameters[i] = p,
                Err(i) => self.parameters.insert(i, p),
            }
        }
        self.digest = digest_of(&self.parameters);
        self
    }
}

/// The names' root as text.
pub(crate) fn root_prefix(root: Root) -> &'static str {
    match root {
        Root::InternetGatewayDevice => "InternetGatewayDevice.",
        Root::Device | Root::Unknown => "Device.",
    }
}

/// A name with its instance numbers replaced by `{i}` and a TR-098 voice prefix mapped to
/// `Device.`: the key of `tipring-datamodel`'s definitions.
pub(crate) fn definition_template(name: &str) -> String {
    let name = match name.strip_prefix("InternetGatewayDevice.") {
        Some(rest) => format!("Device.{rest}"),
        None => name.to_string(),
    };
    name.split('.')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{i}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether a parameter is a password (our definitions say so, or its name does).
pub(crate) fn is_secret_name(name: &str) -> bool {
    if let Some(def) = definitions().param(&definition_template(name)) {
        return def.secret;
    }
    let leaf = name.rsplit('.').next().unwrap_or(name);
    leaf.contains("Password") || leaf.contains("Secret")
}

/// The plan of a configuration for a device with this root and these voice objects.
/// [`Root::Unknown`] is planned as `Device.`.
pub fn plan(config: &GatewayConfig, root: Root, voice_paths: VoicePaths) -> ProvisionPlan {
    let (state, live, identity) = (
        CwmpState::default(),
        LiveState::default(),
        DeviceIdentity::default(),
    );
    let tree = Tree::new(config, &state, &live, &identity);
    let prefix = root_prefix(root);
    let mut parameters: Vec<PlannedParameter> = Vec::new();
    for (name, value) in tree.provisioning_values() {
        let Some(rest) = name.strip_prefix("Device.Services.VoiceService.") else {
            continue;
        };
        let issue1 = rest.contains(".VoiceProfile.");
        let keep = match voice_paths {
            VoicePaths::Issue1 => issue1,
            VoicePaths::Issue2 | VoicePaths::Tipring => !issue1,
        };
        let vendor = name.split('.').any(|s| s.starts_with("X_"));
        let codec_row = name.ends_with(".CodecList") || name.contains(".Codec.List.");
        if !keep || codec_row || (vendor && voice_paths != VoicePaths::Tipring) {
            continue;
        }
        let secret = definitions()
            .param(&definition_template(&name))
            .is_some_and(|d| d.secret);
        let kind = ValueType::from_xsi(value.value_type().xsd_name());
        let rooted = format!("{prefix}{}", &name["Device.".len()..]);
        parameters.push(PlannedParameter {
            name: rooted,
            value: value.to_string(),
            kind,
            secret,
        });
    }
    parameters.sort_by(|a, b| a.name.cmp(&b.name));
    parameters.dedup_by(|a, b| a.name == b.name);
    let mut instances = BTreeSet::new();
    for p in &parameters {
        for inst in instance_prefixes(&p.name) {
            instances.insert(inst);
        }
    }
    let mut instances: Vec<String> = instances.into_iter().collect();
    instances.sort_by(|a, b| depth(a).cmp(&depth(b)).then_with(|| a.cmp(b)));
    let digest = digest_of(&parameters);
    ProvisionPlan {
        root: if root == Root::Unknown {
            Root::Device
        } else {
            root
        },
        voice_paths,
        parameters,
        instances,
        digest,
        drift: DriftPolicy::default(),
    }
}

/// Every instance path on a name's way: `A.1.B.2.C` gives `A.1.` and `A.1.B.2.`.
pub(crate) fn instance_prefixes(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::new();
    let segs: Vec<&str> = name.split('.').collect();
    for (i, seg) in segs.iter().enumerate() {
        acc.push_str(seg);
        acc.push('.');
        let is_last = i + 1 == segs.len();
        if !is_last && !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push(acc.clone());
        }
    }
    out
}

pub(crate) fn depth(path: &str) -> usize {
    path.matches('.').count()
}

fn digest_of(parameters: &[PlannedParameter]) -> String {
    let mut h = Sha256::new();
    for p in parameters {
        h.update(p.name.as_bytes());
        h.update(b"=");
        let escaped = p
            .value
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        h.update(escaped.as_bytes());
        h.update(b"\n");
    }
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DeviceKey, Enrollment};

    const TEMPLATE: &str = r#"{
      "device": { "name": "{{site}}-{{serial}}", "country": "{{country}}" },
      "sip": { "servers": ["{{pbx}}"], "domain": "{{domain}}",
               "registration_expiry_s": "{{int:expiry}}", "register": "{{bool:register}}" },
      "ports": [ { "$each_port": {
          "extension": "{{extension}}",
          "display_name": "{{site}} port {{port}}",
          "password": "{{secret:ports.#.password}}"
      } } ]
    }"#;

    pub(crate) fn profile(template: &str) -> Profile {
        Profile {
            name: "default".into(),
            priority: 0,
            model: None,
            site: None,
            tags: Vec::new(),
            template: template.into(),
            variables: [
                ("country", "us"),
                ("expiry", "600"),
                ("register", "true"),
                ("domain", "x.example"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            drift: DriftPolicy::Correct,
        }
    }

    pub(crate) fn site() -> Site {
        Site {
            name: "berlin".into(),
            description: String::new(),
            variables: [
                ("pbx", "pbx.berlin.example:5070"),
                ("first_extension", "0200"),
                ("domain", "berlin.example"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        }
    }

    pub(crate) fn device() -> Device {
        let mut d = Device::new(
            DeviceKey {
                oui: "0011AA".into(),
                product_class: "FXS2".into(),
                serial: "TR0001".into(),
            },
            0,
        );
        d.enrollment = Enrollment::Approved;
        d.model = "FXS2".into();
        d
    }

    fn secrets(name: &str) -> Option<String> {
        name.strip_prefix("ports.")
            .and_then(|r| r.strip_suffix(".password"))
            .map(|n| format!("S3cret\"{n}\\pw"))
    }

    #[test]
    fn renders_per_port_with_site_variables_and_secrets() {
        let r = render(&profile(TEMPLATE), Some(&site()), &device(), 3, &secrets).unwrap();
        let c = &r.config;
        assert_eq!(c.device.name, "berlin-TR0001");
        assert_eq!(c.sip.servers, ["pbx.berlin.example:5070"]);
        assert_eq!(c.sip.domain, "berlin.example", "the site's variable wins");
        assert_eq!(c.sip.registration_expiry_s, 600);
        assert_eq!(c.ports.len(), 3);
        let exts: Vec<&str> = c.ports.iter().map(|p| p.extension.as_str()).collect();
        assert_eq!(exts, ["0200", "0201", "0202"]);
        assert_eq!(c.ports[2].display_name.as_deref(), Some("berlin port 3"));
        // JSON escaping of the secret's quote and backslash is the renderer's business.
        assert_eq!(
            c.ports[1].password.as_ref().unwrap().expose(),
            "S3cret\"2\\pw"
        );
        assert_eq!(
            r.secret_names,
            ["ports.1.password", "ports.2.password", "ports.3.password"]
        );
        assert!(!format!("{r:?}").contains("S3cret"));
        assert_eq!(
            required_secrets(&profile(TEMPLATE), 2).unwrap(),
            ["ports.1.password", "ports.2.password"]
        );
    }

    #[test]
    fn render_errors_name_what_is_wrong() {
        let none = |_: &str| None;
        let e = render(&profile(TEMPLATE), Some(&site()), &device(), 1, &none).unwrap_err();
        assert!(
            matches!(e, Error::MissingSecret(ref n) if n == "ports.1.password"),
            "{e}"
        );
        // Without the site: no first_extension, then no pbx.
        let e = render(&profile(TEMPLATE), None, &device(), 1, &secrets).unwrap_err();
        assert!(
            matches!(e, Error::UnknownVariable { ref name, ref path } if name == "first_extension" && path == "ports[0].extension"),
            "{e}"
        );
        let mut with_first = profile(TEMPLATE);
        with_first
            .variables
            .insert("first_extension".into(), "100".into());
        let e = render(&with_first, None, &device(), 1, &secrets).unwrap_err();
        assert!(
            matches!(e, Error::UnknownVariable { ref name, .. } if name == "pbx"),
            "{e}"
        );
        let bad = TEMPLATE.replace("{{int:expiry}}", "{{int:country}}");
        let e = render(&profile(&bad), Some(&site()), &device(), 1, &secrets).unwrap_err();
        assert!(
            matches!(e, Error::BadVariable { ref name, .. } if name == "country"),
            "{e}"
        );
        let outside = TEMPLATE.replace("{{site}}-{{serial}}", "{{extension}}");
        let e = render(&profile(&outside), Some(&site()), &device(), 1, &secrets).unwrap_err();
        assert!(
            matches!(e, Error::BadVariable { ref name, ref path, .. } if name == "extension" && path == "device.name"),
            "{e}"
        );
        // A rendered document that does not validate: the field is named.
        let invalid = TEMPLATE.replace("{{extension}}", "ext-{{port}}");
        match render(&profile(&invalid), Some(&site()), &device(), 1, &secrets).unwrap_err() {
            Error::InvalidConfig(errors) => {
                assert!(errors.has_path("ports[0].extension"), "{errors}")
            }
            e => panic!("{e}"),
        }
        for (t, what) in [
            ("[1]", "object"),
            ("{", "JSON"),
            (r#"{"ports": [{"$each_port": {}}, {}]}"#, "only element"),
            (r#"{"device": {"$each_port": {}}}"#, "only allowed"),
            (r#"{"device": {"name": "{{nope"}}"#, "without"),
            (r#"{"device": {"name": "{{x:y}}"}}"#, "unknown placeholder"),
            (
                r#"{"device": {"name": "{{secret:a.#}}"}}"#,
                "only defined inside",
            ),
        ] {
            let e = render(&profile(t), Some(&site()), &device(), 1, &secrets).unwrap_err();
            assert!(e.to_string().contains(what), "{t}: {e}");
        }
        assert!(render(&profile(TEMPLATE), Some(&site()), &device(), 0, &secrets).is_err());
    }

    fn rendered(ports: u32) -> GatewayConfig {
        render(
            &profile(TEMPLATE),
            Some(&site()),
            &device(),
            ports,
            &secrets,
        )
        .unwrap()
        .config
    }

    /// TR-104 issue 2 names under `Device.`, secrets typed and marked, instances listed.
    #[test]
    fn plan_issue2_and_tipring() {
        let p = plan(&rendered(2), Root::Device, VoicePaths::Issue2);
        let vs = "Device.Services.VoiceService.1.";
        let pw = p.get(&format!("{vs}SIP.Client.2.AuthPassword")).unwrap();
        assert!(pw.secret);
        assert_eq!(pw.value, "S3cret\"2\\pw");
        assert!(!format!("{p:?}").contains("S3cret"));
        let dn = p
            .get(&format!("{vs}CallControl.Line.2.DirectoryNumber"))
            .unwrap();
        assert_eq!((dn.value.as_str(), &dn.kind), ("0201", &ValueType::String));
        let port = p
            .get(&format!("{vs}SIP.Network.1.ProxyServerPort"))
            .unwrap();
        assert_eq!(
            (port.value.as_str(), &port.kind),
            ("5070", &ValueType::UnsignedInt)
        );
        assert!(p
            .parameters
            .iter()
            .all(|x| !x.name.contains("X_TIPRING") && !x.name.contains("VoiceProfile")));
        assert!(p.parameters.iter().all(|x| !x.name.ends_with("CodecList")));
        assert_eq!(p.instances[0], vs);
        assert!(p.instances.contains(&format!("{vs}SIP.Client.2.")));
        let t = plan(&rendered(2), Root::Device, VoicePaths::Tipring);
        assert!(t
            .get(&format!("{vs}SIP.Network.1.X_TIPRING_Servers"))
            .is_some());
        assert_ne!(t.digest, p.digest);
    }

    /// TR-104 issue 1 under the TR-098 root.
    #[test]
    fn plan_issue1_under_igd() {
        let p = plan(
            &rendered(2),
            Root::InternetGatewayDevice,
            VoicePaths::Issue1,
        );
        let vp = "InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.";
        assert!(
            p.parameters.iter().all(|x| x.name.starts_with(vp)),
            "{:?}",
            p.parameters[0]
        );
        assert!(
            p.get(&format!("{vp}Line.2.SIP.AuthPassword"))
                .unwrap()
                .secret
        );
        assert_eq!(
            p.get(&format!("{vp}Line.1.Enable")).unwrap().value,
            "Enabled"
        );
        assert_eq!(
            p.get(&format!("{vp}SIP.ProxyServer")).unwrap().value,
            "pbx.berlin.example"
        );
        assert!(!p.parameters.iter().any(|x| x.name.contains(".Codec.List.")));
        assert_eq!(
            p.instances,
            [
                "InternetGatewayDevice.Services.VoiceService.1.".to_string(),
                vp.to_string(),
                format!("{vp}Line.1."),
                format!("{vp}Line.2."),
            ]
        );
    }

    #[test]
    fn extra_parameters_join_the_plan_and_its_digest() {
        let mut config = GatewayConfig::example(1);
        config.ports[0].password = Some(tipring_config::Secret::new("pw-1"));
        let base = plan(&config, Root::Device, VoicePaths::Tipring);
        let extra = PlannedParameter {
            name: "Device.ManagementServer.Password".into(),
            value: "acs-secret".into(),
            kind: ValueType::String,
            secret: true,
        };
        let more = base.clone().with_parameters(vec![extra.clone()]);
        assert_eq!(more.parameters.len(), base.parameters.len() + 1);
        assert_eq!(more.get("Device.ManagementServer.Password"), Some(&extra));
        assert_ne!(more.digest, base.digest);
        // The same name again replaces, and sorted order holds for get().
        let again = more.clone().with_parameters(vec![PlannedParameter {
            value: "other".into(),
            ..extra
        }]);
        assert_eq!(again.parameters.len(), more.parameters.len());
        assert_ne!(again.digest, more.digest);
        assert!(again.parameters.windows(2).all(|w| w[0].name < w[1].name));
    }

    /// The digest covers every value, secrets included, and nothing else.
    #[test]
    fn digest_follows_values_and_secrets() {
        let a = plan(&rendered(2), Root::Device, VoicePaths::Issue2);
        assert_eq!(
            a.digest,
            plan(&rendered(2), Root::Device, VoicePaths::Issue2).digest
        );
        assert_eq!(a.digest.len(), 64);
        let mut c = rendered(2);
        c.ports[0].password = Some(tipring_config::Secret::new("rotated"));
        assert_ne!(a.digest, plan(&c, Root::Device, VoicePaths::Issue2).digest);
        let mut c = rendered(2);
        c.ports[1].extension = "999".into();
        assert_ne!(a.digest, plan(&c, Root::Device, VoicePaths::Issue2).digest);
        assert_ne!(
            a.digest,
            plan(&rendered(3), Root::Device, VoicePaths::Issue2).digest
        );
    }

    #[test]
    fn voice_paths_detection_and_port_count() {
        let mut d = device();
        d.root = Root::Device;
        assert_eq!(VoicePaths::detect(&d, &[]), VoicePaths::Issue2);
        d.manufacturer = "Tipring".into();
        assert_eq!(VoicePaths::detect(&d, &[]), VoicePaths::Tipring);
        d.manufacturer = "Acme".into();
        d.root = Root::InternetGatewayDevice;
        assert_eq!(VoicePaths::detect(&d, &[]), VoicePaths::Issue1);
        let cached = |name: &str, value: &str| CachedParameter {
            name: name.into(),
            value: value.into(),
            xsd_type: "xsd:unsignedInt".into(),
            writable: None,
            seen_at: 0,
        };
        d.root = Root::Device;
        let v1 = [cached(
            "Device.Services.VoiceService.1.VoiceProfile.1.NumberOfLines",
            "4",
        )];
        assert_eq!(VoicePaths::detect(&d, &v1), VoicePaths::Issue1);
        assert_eq!(port_count(&v1), Some(4));
        let v2 = [cached(
            "Device.Services.VoiceService.1.POTS.FXSNumberOfEntries",
            "2",
        )];
        assert_eq!(port_count(&v2), Some(2));
        assert_eq!(port_count(&[]), None);
    }

    #[test]
    fn names_and_templates() {
        assert_eq!(
            definition_template("InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.Line.12.SIP.AuthPassword"),
            "Device.Services.VoiceService.{i}.VoiceProfile.{i}.Line.{i}.SIP.AuthPassword"
        );
        assert!(is_secret_name(
            "Device.Services.VoiceService.1.SIP.Client.3.AuthPassword"
        ));
        assert!(is_secret_name("InternetGatewayDevice.X_ACME.AdminPassword"));
        assert!(!is_secret_name(
            "Device.Services.VoiceService.1.SIP.Client.3.AuthUserName"
        ));
        assert_eq!(instance_prefixes("A.1.B.22.C"), ["A.1.", "A.1.B.22."]);
        assert_eq!(instance_prefixes("A.B.3"), Vec::<String>::new());
    }

    /// Hostile templates never panic (seeded mutations).
    #[test]
    fn mutated_templates_never_panic() {
        let base = TEMPLATE.as_bytes().to_vec();
        let mut x: u64 = 0x0123_4567_89AB_CDEF;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"{}[]:\"#$,. abc";
        for _ in 0..200 {
            let mut b = base.clone();
            for _ in 0..(1 + next() % 4) {
                let i = (next() as usize) % b.len();
                b[i] = alphabet[(next() as usize) % alphabet.len()];
            }
            let text = String::from_utf8_lossy(&b).into_owned();
            let _ = render(&profile(&text), Some(&site()), &device(), 2, &secrets);
            let _ = required_secrets(&profile(&text), 2);
        }
    }
}
