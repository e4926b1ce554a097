//! Distinctive ringing from a SIP `Alert-Info` header.
//!
//! PBXs ask a gateway for a distinctive ring in two ways, and both are understood:
//!
//! * the Bellcore ring names that analog adapters have taken from Telcordia GR-506-CORE's
//!   distinctive alerting patterns, as the last part of a URI or as an `info` parameter
//!   (`<http://127.0.0.1/Bellcore-dr2>`, `<http://x>;info=Bellcore-dr3`, `Bellcore-r4`);
//! * the alert URNs of RFC 7462 (`<urn:alert:source:internal>`, `<urn:alert:priority:high>`,
//!   ...), mapped onto those patterns the way PBXs usually configure them: an internal
//!   call rings long-long (dr2), a high-priority call short-short-long (dr3), an external
//!   call and `urn:alert:service:normal` the plan's own cadence.
//!
//! | name | pattern (ms on / off) |
//! |---|---|
//! | dr1 | 2000 / 4000 — the standard North American ring |
//! | dr2 | 800 / 400, 800 / 4000 — long-long |
//! | dr3 | 400 / 200, 400 / 200, 800 / 4000 — short-short-long |
//! | dr4 | 300 / 200, 1000 / 200, 300 / 4000 — short-long-short |
//! | dr5 | 500 / 5500 — a ring splash, repeated |
//!
//! Anything else (an unknown name, a URL to a ring file) rings with the tone plan's
//! cadence, as a gateway that cannot fetch ring files should.

use tipring_dsp::cadence::{After, Cadence, CadenceStep};

static DR1: [CadenceStep; 1] = [CadenceStep::new(2000, 4000)];
static DR2: [CadenceStep; 2] = [CadenceStep::new(800, 400), CadenceStep::new(800, 4000)];
static DR3: [CadenceStep; 3] = [
    CadenceStep::new(400, 200),
    CadenceStep::new(400, 200),
    CadenceStep::new(800, 4000),
];
static DR4: [CadenceStep; 3] = [
    CadenceStep::new(300, 200),
    CadenceStep::new(1000, 200),
    CadenceStep::new(300, 4000),
];
static DR5: [CadenceStep; 1] = [CadenceStep::new(500, 5500)];

/// Bellcore distinctive ring `n` (1..=5).
pub fn bellcore(n: u8) -> Option<Cadence> {
    let steps: &'static [CadenceStep] = match n {
        1 => &DR1,
        2 => &DR2,
        3 => &DR3,
        4 => &DR4,
        5 => &DR5,
        _ => return None,
    };
    Some(Cadence {
        steps,
        after: After::Repeat,
    })
}

/// The ring cadence an `Alert-Info` header value asks for; `None`: the plan's own.
pub fn ring_for_alert_info(value: &str) -> Option<Cadence> {
    // Bounded work on what the network sends: the header is short or it is ignored.
    if value.len() > 512 {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    if let Some(n) = bellcore_number(&lower) {
        return bellcore(n);
    }
    for (urn, ring) in [
        ("urn:alert:source:internal", 2),
        ("urn:alert:priority:high", 3),
    ] {
        if lower.contains(urn) {
            return bellcore(ring);
        }
    }
    None
}

/// `N` of the first `bellcore-drN` / `bellcore-rN` in the value.
fn bellcore_number(lower: &str) -> Option<u8> {
    let mut rest = lower;
    while let Some(at) = rest.find("bellcore-") {
        let tail = &rest[at + "bellcore-".len()..];
        let tail = tail.strip_prefix("dr").or_else(|| tail.strip_prefix('r'));
        if let Some(d) = tail
            .and_then(|t| t.chars().next())
            .and_then(|c| c.to_digit(10))
        {
            let next = tail.and_then(|t| t.chars().nth(1));
            if !next.is_some_and(|c| c.is_ascii_alphanumeric()) {
                return u8::try_from(d).ok();
            }
        }
        rest = &rest[at + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(c: Option<Cadence>) -> Vec<(u32, u32)> {
        c.map(|c| c.steps.iter().map(|s| (s.on_ms, s.off_ms)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn bellcore_names_in_the_forms_pbxs_send() {
        for v in [
            "<http://127.0.0.1/Bellcore-dr2>",
            "<http://www.notused.com>;info=alert-autoanswer;info=Bellcore-dr2",
            "<http://x>;info=bellcore-dr2",
            "<file://Bellcore-r2>",
            "Bellcore-dr2",
        ] {
            assert_eq!(
                steps(ring_for_alert_info(v)),
                [(800, 400), (800, 4000)],
                "{v}"
            );
        }
        assert_eq!(
            steps(ring_for_alert_info("<http://127.0.0.1/Bellcore-dr3>")),
            [(400, 200), (400, 200), (800, 4000)]
        );
        assert_eq!(
            steps(ring_for_alert_info("<http://127.0.0.1/Bellcore-dr4>")),
            [(300, 200), (1000, 200), (300, 4000)]
        );
        assert_eq!(
            steps(ring_for_alert_info("<x:Bellcore-dr5>")),
            [(500, 5500)]
        );
    }

    #[test]
    fn rfc7462_urns() {
        assert_eq!(
            steps(ring_for_alert_info("<urn:alert:source:internal>")),
            [(800, 400), (800, 4000)]
        );
        assert_eq!(
            steps(ring_for_alert_info("<urn:alert:priority:high>")).len(),
            3
        );
        assert!(ring_for_alert_info("<urn:alert:source:external>").is_none());
    }

    #[test]
    fn anything_else_rings_normally() {
        for v in [
            "",
            "<http://pbx/rings/vip.wav>",
            "Bellcore-dr9",
            "Bellcore-dr22",
            "bellcore-",
            &"Bellcore-dr2".repeat(100),
        ] {
            assert!(ring_for_alert_info(v).is_none(), "{v}");
        }
    }
}
