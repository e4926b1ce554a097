//! The first POST of a session: the Inform (TR-069 Amendment 6 §3.7.1.1, Annex A.3.3.1).
//!
//! [`read_inform`] reads it with `tipring-cwmp`'s tolerant reader (any prefix, any
//! `cwmp-1-x` namespace, missing `xsi:type`s) and picks out what the ACS needs: who is
//! calling ([`DeviceKey`]), why (the events), the CWMP version it speaks, the data model
//! root its parameter names use, and the well-known values under either root
//! (`Device.` of TR-181 or `InternetGatewayDevice.` of TR-098).

use tipring_cwmp::{
    event_code, parse_with, Body, CwmpVersion, EventStruct, Limits, ParameterValue,
};

use crate::error::{Error, Result};
use crate::model::{DeviceKey, Root};

/// Longest OUI, ProductClass or SerialNumber accepted (the XSD's `string(64)`).
const MAX_ID_FIELD: usize = 64;

/// What an Inform says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformInfo {
    /// The device's identity (DeviceIdStruct).
    pub key: DeviceKey,
    /// `DeviceId/Manufacturer` (or `DeviceInfo.Manufacturer` when the Inform carries it).
    pub manufacturer: String,
    /// The events, in the order sent (`0 BOOTSTRAP`, `1 BOOT`, `M Download`...).
    pub events: Vec<EventStruct>,
    /// The ParameterList: forced inform parameters and changed values.
    pub parameters: Vec<ParameterValue>,
    /// The envelope's `cwmp:ID` (the InformResponse echoes it).
    pub id: Option<String>,
    /// The CWMP namespace the CPE used; every reply uses it.
    pub version: CwmpVersion,
    /// `cwmp:SupportedCWMPVersions` (CWMP 1.4, §3.5), when sent.
    pub supported_versions: Vec<CwmpVersion>,
    /// The root its parameter names use.
    pub root: Root,
    /// `DeviceInfo.ModelName`, else the ProductClass.
    pub model: String,
    /// `DeviceInfo.SoftwareVersion`.
    pub software_version: String,
    /// `DeviceInfo.HardwareVersion`.
    pub hardware_version: String,
    /// `DeviceInfo.ProvisioningCode` (trimmed).
    pub provisioning_code: String,
    /// `ManagementServer.ConnectionRequestURL`, when sent and not empty.
    pub connection_request_url: Option<String>,
    /// Failed session attempts before this one (RetryCount).
    pub retry_count: u32,
    /// The CPE's clock, as sent.
    pub current_time: String,
}

impl InformInfo {
    /// Whether the Inform carries this event code.
    pub fn has_event(&self, code: &str) -> bool {
        self.events.iter().any(|e| e.event_code.trim() == code)
    }

    /// `0 BOOTSTRAP`: a first contact with this ACS URL or a factory reset (§3.7.1.5);
    /// whatever the ACS set before is gone.
    pub fn is_bootstrap(&self) -> bool {
        self.has_event(event_code::BOOTSTRAP)
    }

    /// `1 BOOT` or `0 BOOTSTRAP`.
    pub fn is_boot(&self) -> bool {
        self.is_bootstrap() || self.has_event(event_code::BOOT)
    }

    /// The value of a parameter named `<root>.<path>` under either root
    /// (`value("DeviceInfo.SoftwareVersion")`).
    pub fn value(&self, path: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|p| {
                p.name
                    .strip_prefix("Device.")
                    .or_else(|| p.name.strip_prefix("InternetGatewayDevice."))
                    == Some(path)
            })
            .map(|p| p.value.as_str())
    }

    /// The CWMP version to announce in the InformResponse's `cwmp:UseCWMPVersion`
    /// (§3.7.4 / §3.5: the highest version both support), when the CPE offered a list.
    pub fn use_version(&self) -> Option<CwmpVersion> {
        self.supported_versions.iter().copied().max()
    }
}

/// Reads the first POST of a session with the reader's default limits.
///
/// Errors: not an envelope ([`Error::Cwmp`]), an empty POST, another message than an
/// Inform, a DeviceId without OUI or SerialNumber (or a field over 64 characters).
pub fn read_inform(body: &[u8]) -> Result<InformInfo> {
    read_inform_with(body, &Limits::default())
}

/// [`read_inform`] with explicit reader limits ([`AcsConfig::limits`](crate::AcsConfig::limits)).
pub fn read_inform_with(body: &[u8], limits: &Limits) -> Result<InformInfo> {
    let envelope = parse_with(body, limits)?.ok_or(Error::EmptyPost)?;
    let id = envelope.header.id.clone();
    let version = envelope.version;
    let supported_versions = envelope
        .header
        .supported_versions
        .as_deref()
        .map(CwmpVersion::parse_list)
        .unwrap_or_default();
    let inform = match envelope.body {
        Some(Body::Inform(i)) => i,
        Some(other) => return Err(Error::NotInform(other.method_name().to_string())),
        None => return Err(Error::NotInform("an envelope without a message".into())),
    };
    let d = &inform.device_id;
    let field = |name: &str, v: &str, required: bool| -> Result<String> {
        let v = v.trim();
        if required && v.is_empty() {
            return Err(Error::BadDeviceId(format!("{name} is empty")));
        }
        if v.chars().count() > MAX_ID_FIELD {
            return Err(Error::BadDeviceId(format!(
                "{name} is longer than {MAX_ID_FIELD} characters"
            )));
        }
        if v.chars().any(char::is_control) {
            return Err(Error::BadDeviceId(format!(
                "{name} holds control characters"
            )));
        }
        Ok(v.to_string())
    };
    let key = DeviceKey {
        oui: field("OUI", &d.oui, true)?.to_ascii_uppercase(),
        product_class: field("ProductClass", &d.product_class, false)?,
        serial: field("SerialNumber", &d.serial_number, true)?,
    };
    let root = root_of(&inform.parameters);
    let mut info = InformInfo {
        manufacturer: d.manufacturer.trim().to_string(),
        key,
        events: inform.events,
        parameters: inform.parameters,
        id,
        version,
        supported_versions,
        root,
        model: String::new(),
        software_version: String::new(),
        hardware_version: String::new(),
        provisioning_code: String::new(),
        connection_request_url: None,
        retry_count: inform.retry_count,
        current_time: inform.current_time,
    };
    let get = |p: &str| info.value(p).map(|v| v.trim().to_string());
    let manufacturer = get("DeviceInfo.Manufacturer").filter(|m| !m.is_empty());
    let model = get("DeviceInfo.ModelName")
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| info.key.product_class.clone());
    let software_version = get("DeviceInfo.SoftwareVersion").unwrap_or_default();
    let hardware_version = get("DeviceInfo.HardwareVersion").unwrap_or_default();
    let provisioning_code = get("DeviceInfo.ProvisioningCode").unwrap_or_default();
    let connection_request_url =
        get("ManagementServer.ConnectionRequestURL").filter(|u| !u.is_empty());
    if let Some(m) = manufacturer {
        info.manufacturer = m;
    }
    info.model = model;
    info.software_version = software_version;
    info.hardware_version = hardware_version;
    info.provisioning_code = provisioning_code;
    info.connection_request_url = connection_request_url;
    Ok(info)
}

/// The root the parameter names use: the first name under `Device.` or
/// `InternetGatewayDevice.` decides.
fn root_of(parameters: &[ParameterValue]) -> Root {
    for p in parameters {
        if p.name.starts_with("Device.") {
            return Root::Device;
        }
        if p.name.starts_with("InternetGatewayDevice.") {
            return Root::InternetGatewayDevice;
        }
    }
    Root::Unknown
}

/// The UTC offset, in minutes, of an xsd:dateTime as CPEs send CurrentTime
/// (`2026-11-26T23:00:00+01:00` is 60, `...Z` is 0). None without an offset (a local time
/// of unknown zone), for the "unknown time" of TR-069 (year 0001), and for anything that
/// is not such a time; offsets beyond ±14 h are refused.
pub fn utc_offset_minutes(current_time: &str) -> Option<i32> {
    let t = current_time.trim();
    if t.len() < 19 || t.starts_with("0001-") || t.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    if t.ends_with('Z') || t.ends_with('z') {
        return Some(0);
    }
    let tail = t.get(t.len() - 6..)?.as_bytes();
    let sign = match tail[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if tail[3] != b':' || t.len() - 6 < 19 {
        return None;
    }
    let digit = |b: u8| b.is_ascii_digit().then(|| i32::from(b - b'0'));
    let hours = digit(tail[1])? * 10 + digit(tail[2])?;
    let minutes = digit(tail[4])? * 10 + digit(tail[5])?;
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_cwmp::{DeviceId, Envelope, Inform};

    fn inform(params: Vec<ParameterValue>, events: &[&str]) -> Envelope {
        Envelope::new(
            "42",
            Body::Inform(Inform {
                device_id: DeviceId {
                    manufacturer: "Acme".into(),
                    oui: "00d09e".into(),
                    product_class: "ATA-2FXS".into(),
                    serial_number: " AT2F01 ".into(),
                },
                events: events.iter().map(|e| EventStruct::new(*e)).collect(),
                max_envelopes: 1,
                current_time: "2024-05-01T12:00:00Z".into(),
                retry_count: 2,
                parameters: params,
            }),
        )
    }

    /// TR-069 Amendment 6 Annex A.3.3.1: DeviceId, events, ParameterList; TR-098 names.
    #[test]
    fn reads_a_tr098_inform() {
        let igd = "InternetGatewayDevice.";
        let mut env = inform(
            vec![
                ParameterValue::string(format!("{igd}DeviceInfo.SoftwareVersion"), "3.0.17"),
                ParameterValue::string(format!("{igd}DeviceInfo.HardwareVersion"), "V2"),
                ParameterValue::string(format!("{igd}DeviceInfo.ProvisioningCode"), " CLAIM-1 "),
                ParameterValue::string(
                    format!("{igd}ManagementServer.ConnectionRequestURL"),
                    "http://10.0.0.2:7547/cr",
                ),
            ],
            &["1 BOOT", "M Reboot"],
        );
        env.version = CwmpVersion::V1_0;
        let info = read_inform(&env.to_xml()).unwrap();
        assert_eq!(info.key.oui, "00D09E");
        assert_eq!(info.key.serial, "AT2F01");
        assert_eq!(info.key.id(), "00D09E-ATA%2D2FXS-AT2F01");
        assert_eq!(info.root, Root::InternetGatewayDevice);
        assert_eq!(info.version, CwmpVersion::V1_0);
        assert_eq!(info.id.as_deref(), Some("42"));
        assert_eq!(info.model, "ATA-2FXS", "no ModelName: the product class");
        assert_eq!(info.software_version, "3.0.17");
        assert_eq!(info.provisioning_code, "CLAIM-1");
        assert_eq!(
            info.connection_request_url.as_deref(),
            Some("http://10.0.0.2:7547/cr")
        );
        assert!(info.is_boot() && !info.is_bootstrap());
        assert!(info.has_event("M Reboot"));
        assert_eq!(info.retry_count, 2);
        assert_eq!(info.use_version(), None);
    }

    /// §3.5: SupportedCWMPVersions; TR-181 names; ModelName when present.
    #[test]
    fn reads_a_tr181_inform_with_versions() {
        let mut env = inform(
            vec![
                ParameterValue::string("Device.DeviceInfo.ModelName", "FXS-4"),
                ParameterValue::string("Device.DeviceInfo.Manufacturer", "Tipring"),
            ],
            &["0 BOOTSTRAP"],
        );
        env.header.supported_versions = Some("1.0,1.2,1.4".into());
        let info = read_inform(&env.to_xml()).unwrap();
        assert_eq!(info.root, Root::Device);
        assert_eq!(info.model, "FXS-4");
        assert_eq!(info.manufacturer, "Tipring");
        assert!(info.is_bootstrap() && info.is_boot());
        assert_eq!(info.use_version(), Some(CwmpVersion::V1_4));
        assert_eq!(info.connection_request_url, None);
    }

    #[test]
    fn refuses_what_cannot_open_a_session() {
        assert!(matches!(read_inform(b"  "), Err(Error::EmptyPost)));
        assert!(matches!(read_inform(b"<x"), Err(Error::Cwmp(_))));
        let other = Envelope::new("1", Body::GetRpcMethods).to_xml();
        assert!(matches!(read_inform(&other), Err(Error::NotInform(m)) if m == "GetRPCMethods"));
        let mut env = inform(Vec::new(), &["2 PERIODIC"]);
        if let Some(Body::Inform(i)) = &mut env.body {
            i.device_id.serial_number = "  ".into();
        }
        assert!(matches!(
            read_inform(&env.to_xml()),
            Err(Error::BadDeviceId(_))
        ));
        if let Some(Body::Inform(i)) = &mut env.body {
            i.device_id.serial_number = "x".repeat(65);
        }
        assert!(matches!(
            read_inform(&env.to_xml()),
            Err(Error::BadDeviceId(_))
        ));
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            read_inform_with(&inform(Vec::new(), &[]).to_xml(), &small),
            Err(Error::Cwmp(tipring_cwmp::Error::TooLarge { .. }))
        ));
    }

    /// Bad input never panics (seeded random bytes and mutated Informs).
    #[test]
    fn random_bytes_never_panic() {
        let base = inform(
            vec![ParameterValue::string(
                "Device.DeviceInfo.SoftwareVersion",
                "1",
            )],
            &["1 BOOT"],
        )
        .to_xml();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..300 {
            let mut b = base.clone();
            for _ in 0..(next() % 8) {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let _ = read_inform(&b);
            let junk: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            let _ = read_inform(&junk);
        }
    }

    #[test]
    fn the_utc_offset_comes_from_current_time() {
        assert_eq!(utc_offset_minutes("2026-11-26T23:00:00+01:00"), Some(60));
        assert_eq!(
            utc_offset_minutes("2026-11-26T23:00:00.123-05:30"),
            Some(-330)
        );
        assert_eq!(utc_offset_minutes("2026-11-26T23:00:00Z"), Some(0));
        assert_eq!(
            utc_offset_minutes("2026-11-26T23:00:00"),
            None,
            "local, zone unknown"
        );
        assert_eq!(
            utc_offset_minutes("0001-01-01T00:00:00Z"),
            None,
            "unknown time"
        );
        assert_eq!(utc_offset_minutes("2026-11-26T23:00:00+15:00"), None);
        assert_eq!(utc_offset_minutes("+01:00"), None);
        assert_eq!(utc_offset_minutes(""), None);
    }
}
