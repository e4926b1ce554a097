//! Real vendor Informs from `tipring-cwmp`'s corpus open sessions: the identity, root,
//! events and CWMP version are read, and the InformResponse answers in the CPE's own
//! namespace with its cwmp:ID (TR-069 Amendment 6 §3.7.1.1, Annex A.3.3.1).

use tipring_acs::model::Root;
use tipring_acs::{read_inform, AcsConfig, Session};
use tipring_cwmp::{Body, CwmpVersion};

use crate::common::*;

const TR098: &[u8] =
    include_bytes!("../../../../schemas/cwmp/tests/corpus/tr098-igd-inform-cwmp-1-0.xml");
const TR181_12: &[u8] =
    include_bytes!("../../../../schemas/cwmp/tests/corpus/tr181-device-inform-1-2.xml");
const TR181_14: &[u8] =
    include_bytes!("../../../../schemas/cwmp/tests/corpus/tr181-device-inform-1-4.xml");

#[test]
fn a_tr098_vendor_inform() {
    let info = read_inform(TR098).unwrap();
    assert_eq!(info.key.id(), "00D09E-ATA%2D2FXS-AT2F0912345678");
    assert_eq!(info.root, Root::InternetGatewayDevice);
    assert_eq!(info.version, CwmpVersion::V1_0);
    assert_eq!(info.software_version, "3.0.17 build 1108");
    assert_eq!(
        info.connection_request_url.as_deref(),
        Some("http://10.20.30.40:7547/cr/AT2F0912345678")
    );
    assert!(
        info.is_boot() && !info.is_bootstrap(),
        "this CPE never says BOOTSTRAP"
    );
    assert!(info.has_event("M Reboot"));
    let device = approved(info.key.clone());
    let (_, reply) = Session::start(
        &AcsConfig::default(),
        info,
        device,
        Vec::new(),
        None,
        Vec::new(),
        NOW,
    );
    let env = read(&reply);
    assert_eq!((env.version, env.id()), (CwmpVersion::V1_0, Some("1")));
    assert_eq!(
        env.header.use_version, None,
        "no SupportedCWMPVersions, no UseCWMPVersion"
    );
}

#[test]
fn tr181_informs_in_cwmp_1_2_and_1_4() {
    let info = read_inform(TR181_12).unwrap();
    assert_eq!(
        (info.root, info.key.serial.as_str()),
        (Root::Device, "TR2F000123")
    );
    assert!(info.has_event("4 VALUE CHANGE") && !info.is_boot());
    let info = read_inform(TR181_14).unwrap();
    assert_eq!(info.version, CwmpVersion::V1_4);
    assert!(info.is_bootstrap());
    assert_eq!(
        info.connection_request_url.as_deref(),
        Some("http://[2001:db8::10]:7547/cr/9b3f1e")
    );
    let device = approved(info.key.clone());
    let (_, reply) = Session::start(
        &AcsConfig::default(),
        info,
        device,
        Vec::new(),
        None,
        Vec::new(),
        NOW,
    );
    let env = read(&reply);
    assert_eq!(env.version, CwmpVersion::V1_4);
    assert_eq!(env.header.use_version.as_deref(), Some("1.4"));
    assert_eq!(env.body, Some(Body::InformResponse(1)));
}
