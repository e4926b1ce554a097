//! Independent check against libsrtp (Cisco's C implementation, bundled by the
//! `pylibsrtp` Python package): packets we protect must unprotect in libsrtp and the
//! reverse, for both suites, SRTP and SRTCP, across a sequence-number rollover. For SRTP
//! the protected bytes must be identical (AES-CM and HMAC are deterministic given key,
//! SSRC and index).

use std::io::Write;
use std::process::{Command, Stdio};

use tipring_srtp::{MasterKey, Policy, Profile, SrtpContext};

/// Reads `<profile> <key||salt hex> <in|out>` then lines `rtp|rtcp <hex>`; answers each
/// with `ok <hex>` or `err <message>`.
const LIBSRTP_PEER: &str = r#"
import sys
try:
    import pylibsrtp
except ImportError:
    print("missing pylibsrtp: pip install pylibsrtp", file=sys.stderr)
    sys.exit(3)
lines = sys.stdin.read().split("\n")
profile, key, direction = lines[0].split()
ssrc_type = pylibsrtp.Policy.SSRC_ANY_INBOUND if direction == "in" else pylibsrtp.Policy.SSRC_ANY_OUTBOUND
policy = pylibsrtp.Policy(key=bytes.fromhex(key), ssrc_type=ssrc_type, srtp_profile=int(profile))
session = pylibsrtp.Session(policy=policy)
out = []
for line in lines[1:]:
    if not line.strip():
        continue
    kind, data = line.split()
    data = bytes.fromhex(data)
    try:
        if direction == "in":
            res = session.unprotect(data) if kind == "rtp" else session.unprotect_rtcp(data)
        else:
            res = session.protect(data) if kind == "rtp" else session.protect_rtcp(data)
        out.append("ok " + res.hex())
    except Exception as e:
        out.append("err " + str(e).replace("\n", " "))
print("\n".join(out))
"#;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex from python"))
        .collect()
}

/// Runs libsrtp on `packets` (`(is_rtcp, bytes)`) in one session of `direction`.
fn libsrtp(
    profile: Profile,
    key: &MasterKey,
    direction: &str,
    packets: &[(bool, Vec<u8>)],
) -> Vec<Result<Vec<u8>, String>> {
    let libsrtp_profile = match profile {
        Profile::AesCm128HmacSha1_80 => 1, // SRTP_PROFILE_AES128_CM_SHA1_80
        Profile::AesCm128HmacSha1_32 => 2, // SRTP_PROFILE_AES128_CM_SHA1_32
        _ => panic!("profile unknown to this test"),
    };
    let mut input = format!("{libsrtp_profile} {} {direction}\n", hex(key.as_bytes()));
    for (rtcp, p) in packets {
        input += &format!("{} {}\n", if *rtcp { "rtcp" } else { "rtp" }, hex(p));
    }
    let mut child = Command::new("python3")
        .args(["-c", LIBSRTP_PEER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the libsrtp interop test: apt-get install python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("python3 run");
    assert!(
        out.status.success(),
        "libsrtp peer failed (is pylibsrtp installed? `pip install pylibsrtp`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| match l.split_once(' ') {
            Some(("ok", h)) => Ok(unhex(h)),
            Some((_, e)) => Err(e.to_string()),
            None => Err(l.to_string()),
        })
        .collect()
}

fn rtp(seq: u16, ssrc: u32, marker: u8) -> Vec<u8> {
    let mut p = vec![0x80, marker];
    p.extend(seq.to_be_bytes());
    p.extend((u32::from(seq).wrapping_mul(160)).to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.extend((0..160u32).map(|i| (i as u8).wrapping_mul(seq as u8 | 1)));
    p
}

fn rtcp_sr(ssrc: u32, n: u8) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend(ssrc.to_be_bytes());
    p.extend([n; 20]);
    p
}

/// The plaintext stream used in both directions: 12 RTP packets across the 65535 -> 0
/// wrap with three SRTCP packets between them.
fn stream(ssrc: u32) -> Vec<(bool, Vec<u8>)> {
    let mut v = Vec::new();
    for (i, seq) in (65530..=65535u16).chain(0..6).enumerate() {
        v.push((false, rtp(seq, ssrc, 0)));
        if i % 4 == 0 {
            v.push((true, rtcp_sr(ssrc, i as u8)));
        }
    }
    v
}

fn key_for(profile: Profile) -> MasterKey {
    let base = match profile {
        Profile::AesCm128HmacSha1_80 => 0x11,
        _ => 0x5a,
    };
    MasterKey::from_bytes(std::array::from_fn(|i| (i as u8).wrapping_mul(7) ^ base))
}

#[test]
fn ours_protect_libsrtp_unprotects() {
    for profile in Profile::ALL {
        let key = key_for(profile);
        let mut tx = SrtpContext::outbound(Policy::new(profile, key.clone())).expect("policy");
        let plain = stream(0x0BAD_CAFE);
        let mut protected: Vec<(bool, Vec<u8>)> = plain
            .iter()
            .map(|(rtcp, p)| {
                let mut p = p.clone();
                if *rtcp {
                    tx.protect_rtcp(&mut p).expect("protect rtcp");
                } else {
                    tx.protect_rtp(&mut p).expect("protect rtp");
                }
                (*rtcp, p)
            })
            .collect();
        // Then: a replay of the first RTP packet after the wrap and a tampered packet,
        // which libsrtp must refuse.
        let replay = protected[8].clone();
        assert!(!replay.0);
        let mut tampered = protected[protected.len() - 1].clone();
        tampered.1[20] ^= 4;
        protected.push(replay);
        protected.push(tampered);
        let got = libsrtp(profile, &key, "in", &protected);
        assert_eq!(got.len(), protected.len(), "{profile:?}: {got:?}");
        for (i, (r, (_, want))) in got.iter().zip(plain.iter()).enumerate() {
            assert_eq!(r.as_ref(), Ok(want), "{profile:?} packet {i}");
        }
        let n = plain.len();
        assert!(got[n].is_err(), "{profile:?}: libsrtp accepted our replay");
        assert!(
            got[n + 1].is_err(),
            "{profile:?}: libsrtp accepted a tampered packet"
        );
    }
}

#[test]
fn libsrtp_protects_ours_unprotects() {
    for profile in Profile::ALL {
        let key = key_for(profile);
        let plain = stream(0x1234_5678);
        let got = libsrtp(profile, &key, "out", &plain);
        assert_eq!(got.len(), plain.len());
        // Our own protection of the same packets, to compare bytes.
        let mut tx = SrtpContext::outbound(Policy::new(profile, key.clone())).expect("policy");
        let mut rx = SrtpContext::inbound(Policy::new(profile, key.clone())).expect("policy");
        for (i, (res, (rtcp, want))) in got.into_iter().zip(plain.iter()).enumerate() {
            let mut p = res.unwrap_or_else(|e| panic!("{profile:?} libsrtp protect {i}: {e}"));
            if *rtcp {
                assert_eq!(p.len(), want.len() + 14, "SRTCP trailer is 4 + 10 bytes");
                rx.unprotect_rtcp(&mut p)
                    .expect("unprotect libsrtp's SRTCP");
            } else {
                let mut ours = want.clone();
                tx.protect_rtp(&mut ours).expect("protect");
                assert_eq!(
                    p, ours,
                    "{profile:?} packet {i}: SRTP bytes differ from libsrtp"
                );
                rx.unprotect_rtp(&mut p).expect("unprotect libsrtp's SRTP");
            }
            assert_eq!(&p, want, "{profile:?} packet {i}");
        }
        assert_eq!(rx.roc(0x1234_5678), Some(1));
        assert_eq!(rx.stats().dropped(), 0);
    }
}
