//! [`Tree`]: the parameter tree as a view of a configuration, a CWMP state, a live state and
//! the device identity — GetParameterValues, GetParameterNames, SetParameterValues,
//! Get/SetParameterAttributes, AddObject and DeleteObject.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use tipring_config::GatewayConfig;

use crate::attributes::{Attributes, Notification, ParameterAttribute, SetAttribute};
use crate::error::{FaultCode, ParamFault};
use crate::field::{tr104_codec, Binding, Ctx, Draft, Env, Field};
use crate::live::{DeviceIdentity, LiveState};
use crate::schema::{definitions, split_instances, Access, ActiveNotify, Node, ParamDef};
use crate::state::CwmpState;
use crate::value::{shown, Value, ValueType, UNKNOWN_TIME};

/// The TR-098 root under which many ACS scripts address TR-104 issue 1.
const IGD_VOICE: &str = "InternetGatewayDevice.Services.VoiceService.";
/// The same objects under the Device:2 root.
const DEVICE_VOICE: &str = "Device.Services.VoiceService.";
/// What the TR-098 alias may address: the issue 1 profile.
const ISSUE1_TEMPLATE: &str = "Device.Services.VoiceService.{i}.VoiceProfile.";

/// A dial plan checker (`tipring-line`'s parser in the agent).
type DialPlanCheck<'a> = &'a dyn Fn(&str) -> Result<(), String>;

/// Writes that must agree: the field and its scope (port, item).
type ConflictKey = (Field, (Option<usize>, Option<usize>));

/// A successful SetParameterValues: the new documents, to be stored by the agent (the
/// configuration through its config store, which validates it again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The new configuration (validated).
    pub config: GatewayConfig,
    /// The new CWMP state.
    pub state: CwmpState,
    /// Whether `config` differs from the tree's.
    pub config_changed: bool,
    /// Whether `state` differs from the tree's.
    pub state_changed: bool,
}

/// The parameter tree of one gateway: a read-only view of its configuration, CWMP state,
/// live state and identity. Writes produce new documents ([`Applied`]); the tree itself
/// never changes.
pub struct Tree<'a> {
    config: &'a GatewayConfig,
    state: &'a CwmpState,
    env: Env<'a>,
    dial_plan: Option<DialPlanCheck<'a>>,
}

impl std::fmt::Debug for Tree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("ports", &self.config.ports.len())
            .field("codecs", &self.env.codecs)
            .finish_non_exhaustive()
    }
}

/// A name resolved against the definitions and the current instances.
#[derive(Debug, Clone, Copy)]
struct Resolved {
    node: Node,
    ctx: Ctx,
}

/// What a walk visits.
enum Visit<'s> {
    Object(&'s str),
    Table(&'s str),
    Param(&'static ParamDef, &'s str, &'s Ctx),
}

/// One accepted write of a SetParameterValues.
struct Write<'s> {
    index: usize,
    name: &'s str,
    ctx: Ctx,
    field: Field,
    value: Value,
}

impl<'a> Tree<'a> {
    /// The tree of a gateway.
    pub fn new(
        config: &'a GatewayConfig,
        state: &'a CwmpState,
        live: &'a LiveState,
        device: &'a DeviceIdentity,
    ) -> Self {
        let mut codecs = Vec::new();
        for &c in &device.codecs {
            if tr104_codec(c).is_some() && !codecs.contains(&c) {
                codecs.push(c);
            }
        }
        let mut patterns = Vec::new();
        let mut first_pattern = Vec::new();
        for (t, tone) in live.tones.iter().enumerate() {
            first_pattern.push(patterns.len());
            for s in 0..tone.cadence.len().max(1) {
                patterns.push((t, s));
            }
        }
        Self {
            config,
            state,
            env: Env {
                config,
                state,
                live,
                device,
                codecs,
                patterns,
                first_pattern,
            },
            dial_plan: None,
        }
    }

    /// Check dial plans written through the tree with this parser (the agent passes
    /// `tipring-line`'s), as [`GatewayConfig::validate_with`] does.
    pub fn with_dial_plan_check(mut self, check: &'a dyn Fn(&str) -> Result<(), String>) -> Self {
        self.dial_plan = Some(check);
        self
    }

    /// GetParameterValues (TR-069 Amendment 6 §A.3.2.2): the values of these parameters; a
    /// partial path (ending in `.`) gives every parameter below it, and the empty string
    /// the whole tree. Secrets read as "". Any unknown name faults the whole request (9005).
    pub fn get(&self, names: &[String]) -> Result<Vec<(String, Value)>, ParamFault> {
        let mut out = Vec::new();
        for name in names {
            let name = if name.is_empty() {
                "Device."
            } else {
                name.as_str()
            };
            let r = self.resolve(name)?;
            match r.node {
                Node::Param(p) => {
                    let def = &definitions().params()[p];
                    out.push((name.to_string(), self.read(def, &r.ctx)));
                }
                _ => self.walk_from(name, r, &mut |v| {
                    if let Visit::Param(def, n, ctx) = v {
                        out.push((n.to_string(), self.read(def, ctx)));
                    }
                }),
            }
        }
        Ok(out)
    }

    /// GetParameterNames (TR-069 Amendment 6 §A.3.2.3): names and whether each is
    /// writable. With `next_level` false, the object or parameter named and everything
    /// below it; with `next_level` true, only the next level below the partial path
    /// (objects end in `.`; a table is listed as `X.`, its instances as `X.1.`). The empty
    /// path stands for the top of the hierarchy. A parameter name with `next_level` true
    /// is 9003. Objects are never writable here: no table allows AddObject or DeleteObject.
    pub fn names(&self, path: &str, next_level: bool) -> Result<Vec<(String, bool)>, ParamFault> {
        let mut out = Vec::new();
        if path.is_empty() {
            if next_level {
                out.push(("Device.".to_string(), false));
                return Ok(out);
            }
            return self.names("Device.", false);
        }
        let r = self.resolve(path)?;
        let schema = definitions();
        match (r.node, next_level) {
            (Node::Param(p), false) => out.push((path.to_string(), schema.params()[p].writable())),
            (Node::Param(_), true) => {
                return Err(ParamFault::args(
                    "NextLevel true needs a partial path (ending in `.`), not a parameter name",
                ))
            }
            (_, false) => self.walk_from(path, r, &mut |v| match v {
                Visit::Object(n) | Visit::Table(n) => out.push((n.to_string(), false)),
                Visit::Param(def, n, _) => out.push((n.to_string(), def.writable())),
            }),
            (Node::Object(o), true) => {
                let obj = &schema.objects()[o];
                for &p in &obj.params {
                    let def = &schema.params()[p];
                    out.push((format!("{path}{}", def.name), def.writable()));
                }
                for &c in &obj.children {
                    out.push((format!("{path}{}.", schema.objects()[c].segment), false));
                }
            }
            (Node::Table(o), true) => {
                if let Some(kind) = schema.objects()[o].instances {
                    for i in 1..=self.env.count(kind, &r.ctx) {
                        out.push((format!("{path}{i}."), false));
                    }
                }
            }
        }
        Ok(out)
    }

    /// SetParameterValues (TR-069 Amendment 6 §A.3.2.1), all or nothing.
    ///
    /// Each value is checked against its parameter: the name (9005), write access (9008),
    /// the `xsi:type` if given (9006; `xsd:string` is accepted for any type, as many ACSs
    /// send it), its type's lexical form (9006) and facets (9007), the values our
    /// implementation accepts (9007). A name given twice, or two aliases of one value given
    /// different values, is 9003. The writes are then applied to a copy of the
    /// configuration and CWMP state, and the configuration is validated; a validation error
    /// is 9007 on the parameters that wrote the field it names, and 9003 on every parameter
    /// when no parameter wrote it (a combination is invalid).
    ///
    /// On success the new documents come back; on failure, every failing parameter with its
    /// own fault (the SetParameterValuesFault list), and nothing changes.
    /// `ManagementServer.ParameterKey` is not written here: the session sets it.
    pub fn set(
        &self,
        values: &[(String, String, Option<ValueType>)],
    ) -> Result<Applied, Vec<(String, ParamFault)>> {
        let mut faults: Vec<(usize, ParamFault)> = Vec::new();
        let mut writes: Vec<Write<'_>> = Vec::new();
        let mut seen = HashSet::new();
        for (index, (name, text, ty)) in values.iter().enumerate() {
            if !seen.insert(name.as_str()) {
                faults.push((
                    index,
                    ParamFault::args("the parameter appears more than once"),
                ));
                continue;
            }
            match self.prepare(index, name, text, *ty) {
                Ok(Some(w)) => writes.push(w),
                Ok(None) => {}
                Err(f) => faults.push((index, f)),
            }
        }
        // Aliases of one value (ProxyServer and RegistrarServer, an issue 1 and an issue 2
        // name) must agree within one request.
        let mut firsts: HashMap<ConflictKey, usize> = HashMap::new();
        for (k, w) in writes.iter().enumerate() {
            let key = (w.field, w.field.scope(&w.ctx));
            match firsts.get(&key) {
                Some(&j) if writes[j].value != w.value => {
                    let other = &writes[j];
                    faults.push((
                        w.index,
                        ParamFault::args(format!(
                            "conflicts with {} in the same request",
                            other.name
                        )),
                    ));
                    faults.push((
                        other.index,
                        ParamFault::args(format!("conflicts with {} in the same request", w.name)),
                    ));
                }
                Some(_) => {}
                None => {
                    firsts.insert(key, k);
                }
            }
        }
        if faults.is_empty() && writes.is_empty() {
            return Ok(self.applied(self.config.clone(), self.state.clone()));
        }
        if faults.is_empty() {
            let mut draft = Draft::new(self.config, self.state);
            for w in &writes {
                if let Err(f) = w
                    .field
                    .set(&mut draft, &self.env, &w.ctx, w.value.clone(), w.name)
                {
                    faults.push((w.index, f));
                }
            }
            let index_of: HashMap<&str, usize> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (v.0.as_str(), i))
                .collect();
            for (name, f) in draft.finish() {
                faults.push((index_of.get(name.as_str()).copied().unwrap_or(0), f));
            }
            if faults.is_empty() {
                match self.validate(&draft.config) {
                    Ok(()) => return Ok(self.applied(draft.config, draft.state)),
                    Err(errors) => {
                        let ports = draft.config.ports.len();
                        let paths: Vec<Vec<String>> = writes
                            .iter()
                            .map(|w| w.field.config_paths(&w.ctx, ports))
                            .collect();
                        let mut unattributed = Vec::new();
                        for e in errors.errors() {
                            let mut hit = false;
                            for (w, ps) in writes.iter().zip(&paths) {
                                if ps.iter().any(|p| covers(p, &e.path)) {
                                    faults.push((w.index, ParamFault::value(e.to_string())));
                                    hit = true;
                                }
                            }
                            if !hit {
                                unattributed.push(e.to_string());
                            }
                        }
                        if !unattributed.is_empty() {
                            let message = format!(
                                "the configuration would be invalid: {}",
                                unattributed.join("; ")
                            );
                            for w in &writes {
                                faults.push((w.index, ParamFault::args(message.clone())));
                            }
                        }
                    }
                }
            }
        }
        // One fault per parameter (the first found), in request order.
        faults.sort_by_key(|(i, _)| *i);
        faults.dedup_by_key(|(i, _)| *i);
        Err(faults
            .into_iter()
            .map(|(i, f)| (values[i].0.clone(), f))
            .collect())
    }

    /// AddObject (TR-069 Amendment 6 §A.3.2.6). Every table's instances are fixed by the
    /// hardware or the configuration (one per port, codec, slot...), so no object can be
    /// added: a table gives 9005 (it is not a table the ACS may add to), anything else
    /// 9005 as well.
    pub fn add_object(&self, path: &str) -> Result<u32, ParamFault> {
        if !path.ends_with('.') {
            return Err(ParamFault::name(
                "AddObject needs a partial path ending in `.`",
            ));
        }
        match self.resolve(path)?.node {
            Node::Table(_) => Err(ParamFault::name(format!(
                "{} has a fixed set of instances (one per port, codec or reported item): \
                 AddObject is not supported",
                shown(path)
            ))),
            _ => Err(ParamFault::name(format!(
                "{} is not a multi-instance object",
                shown(path)
            ))),
        }
    }

    /// DeleteObject (TR-069 Amendment 6 §A.3.2.7): an existing instance of one of our
    /// fixed tables is 9003 (it cannot be deleted; change the configuration's ports
    /// instead); any other name 9005.
    pub fn delete_object(&self, path: &str) -> Result<(), ParamFault> {
        if !path.ends_with('.') {
            return Err(ParamFault::name(
                "DeleteObject needs a partial path ending in `.`",
            ));
        }
        let r = self.resolve(path)?;
        let is_instance = matches!(r.node, Node::Object(o) if definitions().objects()[o].is_table())
            && path
                .trim_end_matches('.')
                .rsplit('.')
                .next()
                .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()));
        if is_instance {
            Err(ParamFault::args(format!(
                "{} is a fixed instance: DeleteObject is not supported",
                shown(path)
            )))
        } else {
            Err(ParamFault::name(format!(
                "{} is not an object instance",
                shown(path)
            )))
        }
    }

    /// The parameters every Inform carries (`forcedInform` in the BBF definitions:
    /// `RootDataModelVersion`, `HardwareVersion`, `SoftwareVersion`, `ProvisioningCode`,
    /// `ParameterKey`, `ConnectionRequestURL`, `AliasBasedAddressing`), with their values.
    pub fn forced_inform(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let root = Resolved {
            node: Node::Object(0),
            ctx: Ctx::default(),
        };
        self.walk_from("Device.", root, &mut |v| {
            if let Visit::Param(def, n, ctx) = v {
                if def.forced_inform {
                    out.push((n.to_string(), self.read(def, ctx)));
                }
            }
        });
        out
    }

    /// The values an ACS pushes with SetParameterValues (TR-069 Amendment 6 §A.3.2.1) to
    /// give a device this tree's configuration: every writable parameter whose value lives
    /// in the configuration document, **secrets included** (with their values, unlike
    /// [`get`](Self::get)), in tree order, named under `Device.`, each typed as its
    /// definition says.
    ///
    /// Left out: parameters of the CWMP state (`ProvisioningCode`, `Time.NTPServer1`, the
    /// connection request and STUN credentials: the device's own), constants (written
    /// values must equal them), read-only and derived parameters, the `ManagementServer`
    /// parameters when the configuration has no TR-069 section, and
    /// `RTP.LocalPortMin` when the configuration lets the device choose its RTP ports
    /// (`rtp_port_base` 0 reads as 1024, which written back would fix them).
    ///
    /// Both TR-104 issues are listed (issue 2 objects, then the issue 1
    /// `VoiceService.1.VoiceProfile.1.` aliases): push one of them. The issue 1
    /// profile-wide `DTMFMethod`, `DigitMap` and `FaxPassThrough` carry port 1's value, so
    /// pushing them sets every port's. Codec selections (`SIP.Network.{i}.CodecList`, issue 1
    /// `Line.{i}.Codec.List.{j}.`) name rows of this tree's codec table, which is the
    /// [`DeviceIdentity`]'s. The result holds passwords: never log it.
    pub fn provisioning_values(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let root = Resolved {
            node: Node::Object(0),
            ctx: Ctx::default(),
        };
        let no_cwmp = self.config.management.cwmp.is_none();
        let free_rtp = self.config.sip.rtp_port_base == 0;
        self.walk_from("Device.", root, &mut |v| {
            let Visit::Param(def, n, ctx) = v else {
                return;
            };
            let Binding::Field(field, view) = &def.binding else {
                return;
            };
            if !def.writable() || !field.writable() || !field.in_config() {
                return;
            }
            match field {
                Field::Cwmp(_) if no_cwmp => return,
                Field::Sip(crate::field::SipField::RtpMin) if free_rtp => return,
                _ => {}
            }
            let value = field.get_revealed(&self.env, ctx).map(|v| view.read(v));
            let value = def
                .ty
                .coerce(value.unwrap_or_else(|| zero(def.ty.wire_type())));
            out.push((n.to_string(), value));
        });
        out
    }

    /// GetParameterAttributes (TR-069 Amendment 6 §A.3.2.5): the Notification and
    /// AccessList of these parameters (partial paths expand).
    pub fn get_attributes(
        &self,
        attributes: &Attributes,
        names: &[String],
    ) -> Result<Vec<ParameterAttribute>, ParamFault> {
        let mut out = Vec::new();
        for name in names {
            let name = if name.is_empty() {
                "Device."
            } else {
                name.as_str()
            };
            for (n, _, _) in self.params_under(name)? {
                let canon = canonical(&n);
                out.push(ParameterAttribute {
                    notification: attributes.notification(&canon),
                    access_list: attributes.access_list(&canon),
                    name: n,
                });
            }
        }
        Ok(out)
    }

    /// SetParameterAttributes (TR-069 Amendment 6 §A.3.2.4), all or nothing: the new store.
    ///
    /// Notification 0 (off), 1 (passive) or 2 (active); 3 to 6 (lightweight notification)
    /// are refused with 9009, other values with 9003. Active notification on a parameter
    /// whose definition denies it (`canDeny`), or any change to a `forceEnabled` one, is
    /// 9009 when the parameter is named; for a partial path those parameters are left as
    /// they are and the others change. AccessList may hold `Subscriber` only (else 9003);
    /// granting it on a parameter writable only by the ACS is 9001 when named, skipped
    /// under a partial path.
    pub fn set_attributes(
        &self,
        attributes: &Attributes,
        changes: &[SetAttribute],
    ) -> Result<Attributes, ParamFault> {
        let mut store = attributes.clone();
        for change in changes {
            let name = if change.name.is_empty() {
                "Device."
            } else {
                change.name.as_str()
            };
            let full = !name.ends_with('.');
            let targets = self.params_under(name)?;
            let notification = match change.notification {
                None => None,
                Some(n @ 0..=2) => Notification::from_code(n),
                Some(3..=6) => {
                    return Err(ParamFault::new(
                        FaultCode::NotificationRequestRejected,
                        "lightweight notification (3..6) is not supported",
                    ))
                }
                Some(n) => return Err(ParamFault::args(format!("notification {n} is not 0..=6"))),
            };
            if let Some(list) = &change.access_list {
                if let Some(bad) = list.iter().find(|e| e.as_str() != "Subscriber") {
                    return Err(ParamFault::args(format!(
                        "`{}` is not an AccessList entity (only Subscriber)",
                        shown(bad)
                    )));
                }
            }
            for (n, def, _) in &targets {
                let canon = canonical(n);
                if let Some(want) = notification {
                    let denied = match def.active_notify {
                        ActiveNotify::ForceEnabled => want != Notification::Active,
                        ActiveNotify::CanDeny => want == Notification::Active,
                        _ => false,
                    };
                    if denied && full {
                        return Err(ParamFault::new(
                            FaultCode::NotificationRequestRejected,
                            match def.active_notify {
                                ActiveNotify::ForceEnabled => {
                                    format!("{n}: notification is always active")
                                }
                                _ => format!("{n}: active notification is denied for it"),
                            },
                        ));
                    }
                    if !denied {
                        store.put_notification(&canon, want, def.default_notification());
                    }
                }
                if let Some(list) = &change.access_list {
                    let grants = !list.is_empty();
                    if grants && def.access == Access::AcsOnly {
                        if full {
                            return Err(ParamFault::new(
                                FaultCode::RequestDenied,
                                format!("{n} is writable only by the ACS"),
                            ));
                        }
                        continue;
                    }
                    store.put_access_list(&canon, grants);
                }
            }
        }
        Ok(store)
    }

    // ---- internals ----

    fn applied(&self, config: GatewayConfig, state: CwmpState) -> Applied {
        Applied {
            config_changed: config != *self.config,
            state_changed: state != *self.state,
            config,
            state,
        }
    }

    fn validate(&self, config: &GatewayConfig) -> Result<(), tipring_config::ConfigErrors> {
        match self.dial_plan {
            Some(check) => config.validate_with(check),
            None => config.validate(),
        }
    }

    /// Check one SetParameterValues entry; `None` for a write of a constant's own value.
    fn prepare<'s>(
        &self,
        index: usize,
        name: &'s str,
        text: &str,
        ty: Option<ValueType>,
    ) -> Result<Option<Write<'s>>, ParamFault> {
        let r = self.resolve(name)?;
        let Node::Param(p) = r.node else {
            return Err(ParamFault::name(
                "a partial path cannot be set: name a parameter",
            ));
        };
        let def = &definitions().params()[p];
        if !def.writable() {
            return Err(ParamFault::not_writable(match &def.deviation {
                Some(why) => format!("read-only in this implementation: {why}"),
                None => "a read-only parameter".to_string(),
            }));
        }
        let wire = def.ty.wire_type();
        if let Some(t) = ty {
            let integers = |x: ValueType| {
                matches!(
                    x,
                    ValueType::Int
                        | ValueType::UnsignedInt
                        | ValueType::Long
                        | ValueType::UnsignedLong
                )
            };
            if t != wire && t != ValueType::String && !(integers(t) && integers(wire)) {
                return Err(ParamFault::ty(format!("the parameter is {wire}, not {t}")));
            }
        }
        let value = def.ty.parse(text)?;
        match &def.binding {
            Binding::Const(c) if *c == value => Ok(None),
            Binding::Const(c) => Err(ParamFault::value(format!(
                "only `{c}` is accepted: {}",
                def.deviation.as_deref().unwrap_or("fixed")
            ))),
            Binding::Field(field, view) => Ok(Some(Write {
                index,
                name,
                ctx: r.ctx,
                field: *field,
                value: view.write(value)?,
            })),
        }
    }

    /// A parameter's value in an instance (secrets read as "").
    fn read(&self, def: &ParamDef, ctx: &Ctx) -> Value {
        if def.secret {
            return Value::String(String::new());
        }
        let v = match &def.binding {
            Binding::Const(v) => Some(v.clone()),
            Binding::Field(f, view) => f.get(&self.env, ctx).map(|v| view.read(v)),
        };
        def.ty.coerce(v.unwrap_or_else(|| zero(def.ty.wire_type())))
    }

    /// Resolve a name (TR-098 voice aliases included), checking its instance numbers.
    fn resolve(&self, name: &str) -> Result<Resolved, ParamFault> {
        let alias = name.strip_prefix(IGD_VOICE);
        let canonical = match alias {
            Some(rest) => format!("{DEVICE_VOICE}{rest}"),
            None => name.to_string(),
        };
        let (template, indices) = split_instances(&canonical)?;
        let unknown = || ParamFault::name(format!("no such parameter or object: {}", shown(name)));
        let node = definitions().node(&template).ok_or_else(unknown)?;
        if alias.is_some() && !template.starts_with(ISSUE1_TEMPLATE) {
            return Err(unknown());
        }
        let schema = definitions();
        let tables: &[crate::schema::Instances] = match node {
            Node::Param(p) => &schema.objects()[schema.params()[p].object].tables,
            Node::Object(o) => &schema.objects()[o].tables,
            Node::Table(o) => {
                let t = &schema.objects()[o].tables;
                &t[..t.len().saturating_sub(1)]
            }
        };
        if tables.len() != indices.len() {
            return Err(unknown());
        }
        let mut ctx = Ctx::default();
        for (&kind, &n) in tables.iter().zip(&indices) {
            if n == 0 || n as usize > self.env.count(kind, &ctx) {
                return Err(ParamFault::name(format!(
                    "no such instance: {}",
                    shown(name)
                )));
            }
            ctx.enter(kind, n);
        }
        Ok(Resolved { node, ctx })
    }

    /// Every parameter at or below `name`, with its definition and instance.
    fn params_under(
        &self,
        name: &str,
    ) -> Result<Vec<(String, &'static ParamDef, Ctx)>, ParamFault> {
        let r = self.resolve(name)?;
        let mut out = Vec::new();
        match r.node {
            Node::Param(p) => out.push((name.to_string(), &definitions().params()[p], r.ctx)),
            _ => self.walk_from(name, r, &mut |v| {
                if let Visit::Param(def, n, ctx) = v {
                    out.push((n.to_string(), def, *ctx));
                }
            }),
        }
        Ok(out)
    }

    /// Visit everything at and below a resolved object or table, named from `name`.
    fn walk_from(&self, name: &str, r: Resolved, f: &mut dyn FnMut(Visit<'_>)) {
        let mut buf = String::with_capacity(256);
        buf.push_str(name);
        match r.node {
            Node::Object(o) => self.walk_object(o, &mut buf, r.ctx, f),
            Node::Table(o) => self.walk_table(o, &mut buf, r.ctx, f),
            Node::Param(_) => {}
        }
    }

    fn walk_object(&self, o: usize, name: &mut String, ctx: Ctx, f: &mut dyn FnMut(Visit<'_>)) {
        let schema = definitions();
        let obj = &schema.objects()[o];
        f(Visit::Object(name));
        for &p in &obj.params {
            let def = &schema.params()[p];
            let len = name.len();
            name.push_str(&def.name);
            f(Visit::Param(def, name, &ctx));
            name.truncate(len);
        }
        for &c in &obj.children {
            let child = &schema.objects()[c];
            let len = name.len();
            name.push_str(&child.segment);
            name.push('.');
            if child.is_table() {
                self.walk_table(c, name, ctx, f);
            } else {
                self.walk_object(c, name, ctx, f);
            }
            name.truncate(len);
        }
    }

    fn walk_table(&self, o: usize, name: &mut String, ctx: Ctx, f: &mut dyn FnMut(Visit<'_>)) {
        let Some(kind) = definitions().objects()[o].instances else {
            return;
        };
        f(Visit::Table(name));
        for i in 1..=self.env.count(kind, &ctx) as u32 {
            let len = name.len();
            let _ = write!(name, "{i}.");
            let mut inner = ctx;
            inner.enter(kind, i);
            self.walk_object(o, name, inner, f);
            name.truncate(len);
        }
    }
}

/// The Device:2 form of a name (a TR-098 voice alias mapped back).
pub(crate) fn canonical(name: &str) -> String {
    match name.strip_prefix(IGD_VOICE) {
        Some(rest) => format!("{DEVICE_VOICE}{rest}"),
        None => name.to_string(),
    }
}

/// A type's value when an instance has none.
fn zero(t: ValueType) -> Value {
    match t {
        ValueType::String => Value::String(String::new()),
        ValueType::Int => Value::Int(0),
        ValueType::UnsignedInt => Value::UnsignedInt(0),
        ValueType::Long => Value::Long(0),
        ValueType::UnsignedLong => Value::UnsignedLong(0),
        ValueType::Boolean => Value::Boolean(false),
        ValueType::DateTime => Value::DateTime(UNKNOWN_TIME.into()),
        ValueType::Base64 => Value::Base64(String::new()),
        ValueType::HexBinary => Value::HexBinary(String::new()),
    }
}

/// Whether a validation error at `error` is about the configuration path `path` (the same
/// field or one inside it: `ports[0].codecs[1]` is inside `ports[0].codecs`).
fn covers(path: &str, error: &str) -> bool {
    error == path
        || error
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests;
