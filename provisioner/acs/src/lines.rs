//! Voice lines as the console counts them: which parameters carry a line's registration
//! status, and how many lines a set of them shows registered.
//!
//! A line is a TR-104 issue 2 `…Services.VoiceService.{i}.SIP.Client.{i}.Status` or an
//! issue 1 `…Services.VoiceService.{i}.VoiceProfile.{i}.Line.{i}.Status`, under `Device.`
//! or `InternetGatewayDevice.`. `Up` is registered; a `Disabled` line is not counted (a
//! port switched off is not a fault). The provisioning pass asks the CPE for active
//! notification of these, so a registration lost or regained reaches the ACS at once
//! (`4 VALUE CHANGE`).

/// Whether a parameter is a line's registration status.
pub fn is_line_status(name: &str) -> bool {
    let rest = name
        .strip_prefix("Device.")
        .or_else(|| name.strip_prefix("InternetGatewayDevice."));
    let Some(rest) = rest.and_then(|r| r.strip_prefix("Services.VoiceService.")) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [vs, "SIP", "Client", c, "Status"] => num(vs) && num(c),
        [vs, "VoiceProfile", p, "Line", l, "Status"] => num(vs) && num(p) && num(l),
        _ => false,
    }
}

/// `ManagementServer.PeriodicInformInterval` under either root.
pub fn is_inform_interval(name: &str) -> bool {
    matches!(
        name,
        "Device.ManagementServer.PeriodicInformInterval"
            | "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
    )
}

/// Lines and lines registered among `(name, value)` pairs (names that are not line
/// statuses are ignored).
pub fn count<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> (u32, u32) {
    let (mut lines, mut up) = (0u32, 0u32);
    for (name, value) in params {
        if !is_line_status(name) || value == "Disabled" {
            continue;
        }
        lines += 1;
        if value == "Up" {
            up += 1;
        }
    }
    (lines, up)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_statuses_of_both_issues_and_roots() {
        assert!(is_line_status(
            "Device.Services.VoiceService.1.SIP.Client.2.Status"
        ));
        assert!(is_line_status(
            "InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.Line.12.Status"
        ));
        assert!(!is_line_status(
            "Device.Services.VoiceService.1.SIP.Client.1.Contact.1.Status"
        ));
        assert!(!is_line_status(
            "Device.Services.VoiceService.1.SIP.Client.1.Enable"
        ));
        assert!(!is_line_status(
            "Device.Services.VoiceService.1.SIP.Network.1.Status"
        ));
        assert!(!is_line_status(
            "Device.Services.VoiceService.x.SIP.Client.1.Status"
        ));
        assert!(!is_line_status(
            "Device.Services.VoiceService.1.SIP.Client..Status"
        ));
    }

    #[test]
    fn counts_skip_disabled_lines() {
        let p = [
            ("Device.Services.VoiceService.1.SIP.Client.1.Status", "Up"),
            (
                "Device.Services.VoiceService.1.SIP.Client.2.Status",
                "Error_Registration",
            ),
            (
                "Device.Services.VoiceService.1.SIP.Client.3.Status",
                "Disabled",
            ),
            ("Device.Services.VoiceService.1.SIP.Client.1.Enable", "true"),
        ];
        assert_eq!(count(p), (2, 1));
    }
}
