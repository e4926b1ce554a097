//! Calls with audio: the simulated phones of the gateway talk to each other through
//! Kamailio, to baresip (plain and SRTP) and hear SIPp's `rtp_stream`. What a phone heard
//! is recorded from its earpiece (`record P FILE`) and checked by tone level and by
//! multimon-ng's DTMF decoder; what baresip heard, from its own recording.
//!
//! Needs kamailio, sipp, baresip, sox and multimon-ng (`ops/install-deps`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tipring_agent::media::MediaOptions;
use tipring_integration_tests::audio;
use tipring_integration_tests::peers::{
    free_port, scenarios_dir, Baresip, BaresipConfig, Codec, EventKind, Kamailio, KamailioConfig,
    MediaEncryption, Sipp, Transport,
};
use tipring_sip::media::SrtpPolicy;

use crate::Agent;

const DOMAIN: &str = "tipring.test";
const WAIT: Duration = Duration::from_secs(15);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tipring-media-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The level (dBm0) of `hz` in `samples` from `from_s` for `len_s` seconds, at 8 kHz.
fn level(samples: &[i16], hz: f64, from_s: f64, len_s: f64) -> f64 {
    let a = (from_s * 8000.0) as usize;
    let b = (a + (len_s * 8000.0) as usize).min(samples.len());
    assert!(
        b > a + 800,
        "recording too short: {} samples",
        samples.len()
    );
    audio::tone_level_dbm0(&samples[a..b], hz, 8000)
}

fn wait(d: Duration) {
    std::thread::sleep(d);
}

/// Records port `p`'s earpiece for `d`, then returns the recording.
fn record(
    agent: &mut Agent,
    p: usize,
    dir: &Path,
    d: Duration,
    during: impl FnOnce(&mut Agent),
) -> Vec<i16> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("port{p}-{n}.wav"));
    agent.send(&format!("record {p} {}", path.display()));
    during(agent);
    wait(d);
    agent.send(&format!("record {p} stop"));
    agent.expect(
        &[&format!("port {p}: wrote"), &path.display().to_string()],
        WAIT,
    );
    audio::read_wav_8k(&path).unwrap()
}

#[test]
fn two_phones_talk_through_kamailio_and_keys_arrive_as_tones() {
    let cfg = (101..=102).fold(KamailioConfig::new(DOMAIN), |c, u| {
        c.account(u.to_string(), format!("pw-{u}"))
    });
    let k = Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut agent = Agent::start(2, vec![k.addr()], DOMAIN, None);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    agent.expect(&["ext 102]", "SIP: registered"], WAIT);
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 102]", "phone RINGS"], WAIT);
    agent.send("lift 2");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.expect(&["ext 101]", "SIP: media PCMU"], WAIT);
    wait(Duration::from_millis(300));
    let dir = scratch("kamailio");
    // Port 1 says 1004 Hz, then port 2 says 440 Hz; each hears the other's at its level.
    let at2 = record(&mut agent, 2, &dir, Duration::from_millis(2000), |a| {
        a.send("speak 1 tone 1004 -10 2000");
    });
    let l = level(&at2, 1004.0, 0.6, 1.0);
    assert!(
        (l + 10.0).abs() < 1.5,
        "port 2 hears 1004 Hz at {l:.1} dBm0"
    );
    let at1 = record(&mut agent, 1, &dir, Duration::from_millis(2000), |a| {
        a.send("speak 2 tone 440 -16 2000");
    });
    let l = level(&at1, 440.0, 0.6, 1.0);
    assert!((l + 16.0).abs() < 1.5, "port 1 hears 440 Hz at {l:.1} dBm0");
    wait(Duration::from_millis(800));
    // Keys pressed on port 1 go as RFC 4733 events and port 2's phone hears them.
    let keys = record(&mut agent, 2, &dir, Duration::from_millis(2500), |a| {
        a.send("press 1 147*");
    });
    agent.expect(&["ext 101]", "key 1 sent as RFC 4733 events"], WAIT);
    agent.expect(&["ext 102]", "far end sent key 1 (RFC 4733)"], WAIT);
    let decoded = audio::decode_dtmf(&keys[..]).unwrap();
    assert_eq!(decoded, "147*", "multimon-ng on port 2's earpiece");
    agent.send("status");
    let st = agent.expect(&["ext 102]", "media PCMU/8000 with"], WAIT);
    assert!(st.contains("lost 0"), "{st}");
    // The status endpoint shows the same call, and Prometheus metrics for it.
    wait(Duration::from_millis(1100)); // the snapshot is refreshed every second
    let json = agent.http_get("/status");
    for part in [
        "\"extension\":\"102\"",
        "\"hook\":\"off\"",
        "\"codec\":\"PCMU/8000\"",
        "\"registration\":{\"state\":\"registered\"",
    ] {
        assert!(json.contains(part), "{part} in {json}");
    }
    assert!(!json.contains("pw-10"), "no password in the status");
    let metrics = agent.http_get("/metrics");
    assert!(
        metrics.contains("tipring_port_registered{port=\"1\",extension=\"101\"} 1"),
        "{metrics}"
    );
    agent.send("hang 1");
    agent.expect(&["ext 102]", "line: congestion tone"], WAIT);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn logs_never_carry_passwords_or_srtp_keys() {
    // Every log record at TRACE level, through registration with digest authentication
    // and an SRTP call (SDES keys in the SDP), holds neither a password nor a key.
    let cfg = (101..=102).fold(KamailioConfig::new(DOMAIN), |c, u| {
        c.account(u.to_string(), format!("pw-{u}"))
    });
    let k = Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let media = MediaOptions {
        srtp: SrtpPolicy::Mandatory,
        ..MediaOptions::default()
    };
    let (mut agent, logs) = crate::Agent::start_media_logged(2, vec![k.addr()], DOMAIN, media);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    agent.expect(&["ext 102]", "SIP: registered"], WAIT);
    agent.send("lift 1");
    wait(Duration::from_millis(400));
    agent.send("press 1 102");
    agent.expect(&["ext 102]", "phone RINGS"], WAIT);
    agent.send("lift 2");
    let media_line = agent.expect(&["ext 101]", "SIP: media"], WAIT);
    assert!(media_line.contains("SRTP"), "{media_line}");
    wait(Duration::from_millis(500));
    agent.send("hang 1");
    agent.expect(&["ext 102]", "line: congestion tone"], WAIT);
    drop(agent);
    let text = logs.text();
    assert!(
        text.lines().count() > 20,
        "TRACE logs were captured:\n{text}"
    );
    assert!(
        text.contains("REGISTER") || text.contains("registered"),
        "the logs cover registration:\n{text}"
    );
    for secret in ["pw-101", "pw-102"] {
        assert!(!text.contains(secret), "{secret} in the logs:\n{text}");
    }
    assert!(
        !text.contains("inline:"),
        "an SDES key in the logs:\n{text}"
    );
}

fn baresip_with(dir: &Path, srtp: Option<MediaEncryption>) -> Baresip {
    let mic = dir.join("baresip-mic.wav");
    let mut samples = audio::silence(500, 8000);
    samples.extend(audio::tone(1004.0, -10.0, 4000, 8000));
    audio::write_wav(&mic, &samples, 8000).unwrap();
    let mut cfg = BaresipConfig::new("200")
        .codecs([Codec::Pcmu])
        .play(&mic)
        .record(true)
        .auto_answer(true);
    if let Some(m) = srtp {
        cfg = cfg.media_encryption(m);
    }
    Baresip::start(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

fn call_baresip(media: MediaOptions, srtp: Option<MediaEncryption>, name: &str) {
    let dir = scratch(name);
    let b = baresip_with(&dir, srtp);
    let mut agent = Agent::start_peer_to_peer_media(1, b.sip_addr(), media);
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 200");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    b.wait_for(EventKind::CallEstablished, WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", b.log_tail(40)));
    let heard = record(&mut agent, 1, &dir, Duration::from_millis(2500), |a| {
        a.send("speak 1 tone 440 -13 2500");
    });
    // baresip's file: 0.5 s of silence, then 1004 Hz at -10 dBm0.
    let l = level(&heard, 1004.0, 1.2, 1.0);
    assert!(
        (l + 10.0).abs() < 1.5,
        "the phone hears baresip's 1004 Hz at {l:.1} dBm0"
    );
    // baresip's RFC 4733 keys come out of the phone's earpiece as tones multimon-ng reads.
    let keys = record(&mut agent, 1, &dir, Duration::from_millis(1500), |_| {
        b.send_dtmf("73").unwrap();
    });
    assert_eq!(
        audio::decode_dtmf(&keys[..]).unwrap(),
        "73",
        "keys from baresip"
    );
    agent.send("press 1 259#");
    agent.expect(&["ext 101]", "key # sent as RFC 4733 events"], WAIT);
    wait(Duration::from_millis(800));
    let dtmf = b.received_dtmf();
    agent.send("hang 1");
    b.wait_for(EventKind::CallClosed, WAIT).unwrap();
    assert_eq!(dtmf, "259#", "baresip decoded our RFC 4733 events");
    let rec = b.received_recordings().unwrap();
    let theirs = audio::read_wav_8k(&rec[0]).unwrap();
    let l = level(&theirs, 440.0, 0.8, 1.0);
    assert!(
        (l + 13.0).abs() < 1.5,
        "baresip hears the phone's 440 Hz at {l:.1} dBm0"
    );
    if srtp.is_some() {
        agent.expect(&["ext 101]", "SIP: media PCMU", "SRTP"], WAIT);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_phone_and_baresip_hear_each_other_and_keys_reach_baresip() {
    call_baresip(MediaOptions::default(), None, "baresip");
}

#[test]
fn srtp_call_with_baresip() {
    let media = MediaOptions {
        srtp: SrtpPolicy::Mandatory,
        ..MediaOptions::default()
    };
    call_baresip(media, Some(MediaEncryption::SrtpMandatory), "baresip-srtp");
}

#[test]
fn the_phone_hears_sipp_rtp_stream() {
    let dir = scratch("sipp");
    let wav = dir.join("tone.wav");
    audio::ulaw_wav(&wav, &audio::tone(1004.0, -10.0, 3000, 8000)).unwrap();
    let media_port = free_port(Transport::Udp).unwrap();
    let scenario = dir.join("uas_rtp_stream.xml");
    let text = std::fs::read_to_string(scenarios_dir().join("uas_rtp_stream.xml")).unwrap();
    std::fs::write(
        &scenario,
        text.replace("@STREAM@", &wav.display().to_string()),
    )
    .unwrap();
    let sipp = Sipp::scenario_file(&scenario)
        .arg("-mp")
        .arg(media_port.to_string())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut agent = Agent::start_peer_to_peer(1, sipp.local_addr());
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 300");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    let heard = record(&mut agent, 1, &dir, Duration::from_millis(2500), |_| {});
    let l = level(&heard, 1004.0, 1.0, 1.0);
    assert!(
        (l + 10.0).abs() < 1.5,
        "the phone hears SIPp's stream at {l:.1} dBm0"
    );
    agent.send("hang 1");
    let out = sipp.wait(WAIT).unwrap();
    assert_eq!(out.successful_calls, 1, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The end-to-end call through Kamailio with `codecs`: A dials B's extension, B
/// rings with A's caller ID (decoded by minimodem from B's line), B answers, a 1 kHz tone
/// from A arrives at B and a 700 Hz tone from B at A (frequency and level), keys pressed
/// on A are decoded by multimon-ng from B's earpiece, A hangs up and B hears the
/// disconnect treatment.
fn end_to_end_call(codecs: &str, codec_name: &str) {
    let cfg = (101..=102).fold(KamailioConfig::new(DOMAIN), |c, u| {
        c.account(u.to_string(), format!("pw-{u}"))
    });
    let k = Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let media = MediaOptions {
        codecs: MediaOptions::parse_codecs(codecs).unwrap(),
        ..MediaOptions::default()
    };
    let mut agent = Agent::start_media(2, vec![k.addr()], DOMAIN, media);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    agent.expect(&["ext 102]", "SIP: registered"], WAIT);
    let dir = scratch(&format!("e2e-{codec_name}"));
    let line_wav = dir.join("line2.wav");
    agent.send(&format!("tap 2 {}", line_wav.display()));
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 102]", "caller ID display", "101"], WAIT);
    agent.send("tap 2 stop");
    agent.expect(&["port 2: wrote", "line audio"], WAIT);
    // minimodem's caller-ID mode reads the Bell 202 burst between the rings.
    let out = std::process::Command::new("minimodem")
        .args(["--rx", "-q", "callerid", "-f"])
        .arg(&line_wav)
        .output()
        .expect("minimodem (apt-get install minimodem)");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    assert_eq!(field("Phone:").as_deref(), Some("101"), "minimodem: {text}");
    assert_eq!(
        field("Name:").as_deref(),
        Some("Port 1"),
        "minimodem: {text}"
    );
    agent.send("lift 2");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.expect(&["ext 101]", &format!("SIP: media {codec_name}")], WAIT);
    wait(Duration::from_millis(300));
    let at2 = record(&mut agent, 2, &dir, Duration::from_millis(2000), |a| {
        a.send("speak 1 tone 1000 -10 2000");
    });
    let l = level(&at2, 1000.0, 0.6, 1.0);
    assert!(
        (l + 10.0).abs() < 1.5,
        "{codec_name}: B hears A's 1 kHz at {l:.1} dBm0"
    );
    let f = audio::dominant_frequency(&at2[4800..12800], 8000).unwrap_or(0.0);
    assert!((f - 1000.0).abs() < 10.0, "{codec_name}: B hears {f:.0} Hz");
    let at1 = record(&mut agent, 1, &dir, Duration::from_millis(2000), |a| {
        a.send("speak 2 tone 700 -10 2000");
    });
    let l = level(&at1, 700.0, 0.6, 1.0);
    assert!(
        (l + 10.0).abs() < 1.5,
        "{codec_name}: A hears B's 700 Hz at {l:.1} dBm0"
    );
    wait(Duration::from_millis(500));
    let keys = record(&mut agent, 2, &dir, Duration::from_millis(2500), |a| {
        a.send("press 1 3690");
    });
    assert_eq!(
        audio::decode_dtmf(&keys[..]).unwrap(),
        "3690",
        "{codec_name}: multimon-ng"
    );
    agent.send("hang 1");
    agent.expect(&["ext 102]", "line: congestion tone"], WAIT);
    agent.expect(&["ext 102]", "phone hears 480+620 Hz"], WAIT);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn end_to_end_call_with_g711() {
    end_to_end_call("pcmu", "PCMU");
}

#[test]
fn end_to_end_call_with_g722() {
    end_to_end_call("g722", "G722");
}
