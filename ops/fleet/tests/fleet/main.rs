//! The fleet simulator against the provisioner in this process.

mod bootstrap;
mod connreq;
mod console;
mod firmware;
mod nodes;
mod rollout;
mod tasks;

use std::time::Duration;

use tipring_fleet::lab::Lab;
use tipring_fleet::{Fleet, FleetConfig};

/// The tests' runtime: two workers, as the machine has two cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// `n` gateways (serials `PREFIX000001`...) pre-registered with the lab and run until each
/// is provisioned; their device ids.
pub async fn provisioned_fleet(
    lab: &Lab,
    n: usize,
    prefix: &str,
    download_failure_rate: f64,
) -> (Fleet, Vec<String>) {
    let cfg = FleetConfig {
        devices: n,
        serial_prefix: prefix.into(),
        max_in_flight: 8,
        download_failure_rate,
        ..FleetConfig::default()
    };
    lab.provisioned_fleet(cfg, Duration::from_secs(120))
        .await
        .unwrap()
}

/// An Inform of gateway `serial` (`2 PERIODIC`), as a CPE would send it.
pub fn inform(serial: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">hand-1</cwmp:ID></soapenv:Header>
<soapenv:Body><cwmp:Inform>
<DeviceId><Manufacturer>Tipring</Manufacturer><OUI>00D0C9</OUI><ProductClass>FXS2</ProductClass><SerialNumber>{serial}</SerialNumber></DeviceId>
<Event soapenc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>2 PERIODIC</EventCode><CommandKey></CommandKey></EventStruct></Event>
<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-11-27T01:00:00Z</CurrentTime><RetryCount>0</RetryCount>
<ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[1]"><ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name><Value xsi:type="xsd:string">9.9.9</Value></ParameterValueStruct></ParameterList>
</cwmp:Inform></soapenv:Body></soapenv:Envelope>"#
    )
}

/// One POST on an open connection: status, Set-Cookie (if any), body.
pub async fn post(
    conn: &mut tokio::net::TcpStream,
    headers: &str,
    body: &str,
) -> (u16, Option<String>, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let req = format!(
        "POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Type: text/xml\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = conn.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let cookie = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("set-cookie")
                    .then(|| v.trim().split(';').next().unwrap_or("").to_string())
            });
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
            return (status, cookie, body);
        }
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A session of fleet gateway `index` opened by hand on the ACS at `acs` (its own
/// credentials, HTTP Basic on loopback): the connection, after the InformResponse, and
/// the Cookie header line for its next POSTs.
pub async fn hand_session(
    acs: std::net::SocketAddr,
    fleet: &Fleet,
    index: usize,
) -> (tokio::net::TcpStream, String) {
    use base64::Engine as _;
    let config = fleet.gateway_config(index).unwrap();
    let cwmp = config.management.cwmp.as_ref().expect("provisioned");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        cwmp.username.as_deref().expect("the ACS set a user name"),
        cwmp.password
            .as_ref()
            .expect("the ACS set a password")
            .expose()
    ));
    let mut conn = tokio::net::TcpStream::connect(acs).await.unwrap();
    let (status, cookie, body) = post(
        &mut conn,
        &format!("Authorization: Basic {basic}\r\n"),
        &inform(&fleet.serials()[index]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("InformResponse"), "{body}");
    let cookie = format!("Cookie: {}\r\n", cookie.expect("a session cookie"));
    (conn, cookie)
}
