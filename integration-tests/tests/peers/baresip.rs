//! baresip against baresip: calls on loopback (direct and through Kamailio) with a tone,
//! in-band DTMF and RFC 4733 telephone-events, measured in the callee's recording by the
//! harness's `audio` module and decoded by multimon-ng. They prove the harness before
//! Tipring's gateway takes one side of the call.
//!
//! They need `baresip`, `sox` and `multimon-ng` (`apt-get install baresip sox
//! multimon-ng`) and fail naming the package when one is missing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tipring_integration_tests::audio;
use tipring_integration_tests::peers::{
    Baresip, BaresipConfig, Codec, EventKind, KamailioConfig, MediaEncryption,
};

use crate::{kamailio, DOMAIN};

/// How long a test waits for one event.
const EVENT_WAIT: Duration = Duration::from_secs(5);

/// The test tone: 1004 Hz (ITU-T O.41's test frequency, not a submultiple of 8 kHz) at
/// -10 dBm0.
const TONE_HZ: f64 = 1004.0;
const TONE_DBM0: f64 = -10.0;

/// A started baresip, or the test fails with the reason.
fn baresip(config: BaresipConfig) -> Baresip {
    Baresip::start(&config).unwrap_or_else(|e| panic!("{e}"))
}

/// Writes the caller's microphone file into `dir`.
fn microphone(dir: &Path, name: &str, samples: &[i16]) -> PathBuf {
    let path = dir.join(name);
    audio::write_wav(&path, samples, 8000).unwrap();
    path
}

/// A directory for a test's own files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tipring-baresip-test-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `caller` dials `uri`; both sides see the call established; it lasts `hold`, then the
/// caller hangs up and both see it closed.
fn call(caller: &Baresip, callee: &Baresip, uri: &str, hold: Duration) {
    caller.dial(uri).unwrap();
    let up = caller.wait_for(EventKind::CallEstablished, EVENT_WAIT);
    let up = up.unwrap_or_else(|e| panic!("{e}\ncallee:\n{}", callee.log_tail(30)));
    assert_eq!(up.direction.as_deref(), Some("outgoing"), "{up:?}");
    let answered = callee
        .wait_for(EventKind::CallEstablished, EVENT_WAIT)
        .unwrap();
    assert_eq!(
        answered.direction.as_deref(),
        Some("incoming"),
        "{answered:?}"
    );
    std::thread::sleep(hold);
    caller.hangup().unwrap();
    caller.wait_for(EventKind::CallClosed, EVENT_WAIT).unwrap();
    callee.wait_for(EventKind::CallClosed, EVENT_WAIT).unwrap();
}

/// The callee's one recording of what it heard, at 8 kHz.
fn heard(callee: &Baresip) -> Vec<i16> {
    let received = callee.received_recordings().unwrap();
    assert_eq!(received.len(), 1, "{received:?}");
    audio::read_wav_8k(&received[0]).unwrap()
}

/// Asserts that `samples` carry the test tone at its level (within 1 dB: G.711 and the
/// codecs below are near-transparent for a steady 1004 Hz tone), measured over 1 s from
/// 0.5 s in, after jitter-buffer start-up.
fn assert_tone(samples: &[i16], label: &str) {
    assert!(
        samples.len() >= 12_000,
        "{label}: only {} samples",
        samples.len()
    );
    let window = &samples[4000..12_000];
    let hz = audio::dominant_frequency(window, 8000).unwrap();
    assert!((hz - TONE_HZ).abs() < 3.0, "{label}: dominant {hz} Hz");
    let level = audio::tone_level_dbm0(window, TONE_HZ, 8000);
    assert!(
        (level - TONE_DBM0).abs() < 1.0,
        "{label}: {level:.2} dBm0, sent {TONE_DBM0}"
    );
}

#[test]
fn a_1004_hz_tone_arrives_at_its_level_over_pcmu() {
    let dir = scratch("tone");
    let tone = microphone(
        &dir,
        "tone.wav",
        &audio::tone(TONE_HZ, TONE_DBM0, 2500, 8000),
    );
    let callee = baresip(
        BaresipConfig::new("callee")
            .codecs([Codec::Pcmu])
            .record(true),
    );
    let caller = baresip(
        BaresipConfig::new("caller")
            .codecs([Codec::Pcmu])
            .play(&tone)
            .record(true),
    );
    assert_ne!(caller.sip_addr(), callee.sip_addr());
    assert!(caller.sip_addr().ip().is_loopback());
    call(&caller, &callee, &callee.uri(), Duration::from_millis(2000));

    let samples = heard(&callee);
    assert_tone(&samples, "PCMU");
    // the caller sent what it played (its own -enc recording), and heard silence back
    let sent = caller.sent_recordings().unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_tone(
        &audio::read_wav_8k(&sent[0]).unwrap(),
        "caller's sent recording",
    );
    let back = audio::read_wav_8k(&caller.received_recordings().unwrap()[0]).unwrap();
    assert!(
        audio::rms_dbm0(&back) < -60.0,
        "{} dBm0",
        audio::rms_dbm0(&back)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn telephone_events_and_in_band_dtmf_reach_the_callee() {
    let dir = scratch("dtmf");
    // in-band: 300 ms of silence, then "123#" as Q.23 tone pairs, 100 ms on / 100 ms off
    let mut keys = audio::silence(300, 8000);
    keys.extend(audio::dtmf_sequence("123#", 100, 100, -7.0, 8000));
    keys.extend(audio::silence(300, 8000));
    let keys = microphone(&dir, "keys.wav", &keys);
    let callee = baresip(BaresipConfig::new("callee").record(true));
    let caller = baresip(BaresipConfig::new("caller").play(&keys));

    caller.dial(&callee.uri()).unwrap();
    caller
        .wait_for(EventKind::CallEstablished, EVENT_WAIT)
        .unwrap();
    callee
        .wait_for(EventKind::CallEstablished, EVENT_WAIT)
        .unwrap();
    // out of band: RFC 4733 telephone-events
    caller.send_dtmf("9*").unwrap();
    let first = callee.wait_for(EventKind::DtmfStart, EVENT_WAIT).unwrap();
    assert_eq!(first.param.as_deref(), Some("9"), "{first:?}");
    callee.wait_for(EventKind::DtmfEnd, EVENT_WAIT).unwrap();
    let second = callee.wait_for(EventKind::DtmfStart, EVENT_WAIT).unwrap();
    assert_eq!(second.param.as_deref(), Some("*"), "{second:?}");
    callee.wait_for(EventKind::DtmfEnd, EVENT_WAIT).unwrap();
    assert_eq!(callee.received_dtmf(), "9*");
    // bad keys never reach baresip
    assert!(caller.send_dtmf("12x").is_err());
    assert!(caller.send_dtmf("").is_err());

    std::thread::sleep(Duration::from_millis(1500));
    caller.hangup().unwrap();
    callee.wait_for(EventKind::CallClosed, EVENT_WAIT).unwrap();
    // the in-band keys, decoded from what the callee heard by multimon-ng; the
    // telephone-events were not played into the audio
    let digits = audio::decode_dtmf(&heard(&callee)).unwrap();
    assert_eq!(digits, "123#", "{}", callee.log_tail(20));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn g722_and_srtp_opus_recordings_are_resampled_to_8k() {
    let dir = scratch("wideband");
    let tone = microphone(
        &dir,
        "tone.wav",
        &audio::tone(TONE_HZ, TONE_DBM0, 2000, 8000),
    );
    let cases = [
        ("G.722", Codec::G722, None, 16_000, 1),
        (
            "Opus over SRTP",
            Codec::Opus,
            Some(MediaEncryption::SrtpMandatory),
            48_000,
            2,
        ),
    ];
    for (label, codec, srtp, rate, channels) in cases {
        let mut callee_config = BaresipConfig::new("callee").codecs([codec]).record(true);
        let mut caller_config = BaresipConfig::new("caller").codecs([codec]).play(&tone);
        if let Some(mode) = srtp {
            callee_config = callee_config.media_encryption(mode);
            caller_config = caller_config.media_encryption(mode);
        }
        let callee = baresip(callee_config);
        let caller = baresip(caller_config);
        call(&caller, &callee, &callee.uri(), Duration::from_millis(1700));

        let recording = &callee.received_recordings().unwrap()[0];
        let spec = hound_spec(recording);
        assert_eq!(spec, (rate, channels), "{label}: {}", recording.display());
        assert_tone(&heard(&callee), label);
        if srtp.is_some() {
            let log = std::fs::read_to_string(callee.log_path()).unwrap();
            assert!(log.contains("SRTP is Enabled"), "{label}: {log}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// An SRTP-mandatory callee refuses a caller that offers plain RTP only.
#[test]
fn srtp_mandatory_refuses_plain_rtp() {
    let callee =
        baresip(BaresipConfig::new("callee").media_encryption(MediaEncryption::SrtpMandatory));
    let caller = baresip(BaresipConfig::new("caller"));
    caller.dial(&callee.uri()).unwrap();
    let closed = caller.wait_for(EventKind::CallClosed, EVENT_WAIT).unwrap();
    assert!(
        !caller
            .events()
            .iter()
            .any(|e| e.kind == EventKind::CallEstablished),
        "{closed:?}"
    );
}

/// Registration through Kamailio (digest auth), a call to the AOR, answered by hand.
#[test]
fn registered_baresips_call_each_other_through_kamailio() {
    let k = kamailio(KamailioConfig::new(DOMAIN));
    let callee = baresip(
        BaresipConfig::new("102")
            .registrar(k.addr(), DOMAIN, "pw-102")
            .auto_answer(false)
            .record(true),
    );
    let caller = baresip(BaresipConfig::new("101").registrar(k.addr(), DOMAIN, "pw-101"));
    assert_eq!(callee.aor(), "sip:102@tipring.test");
    assert!(callee.is_registered().unwrap());
    let regs = k.wait_for_registration("102", EVENT_WAIT).unwrap();
    // baresip 1.0.0's Contact user is the user and a suffix: sip:102-0x56406b03d4a0@...
    let contact = &regs[0].contact;
    assert!(contact.starts_with("sip:102-"), "{regs:?}");
    assert!(
        contact.contains(&format!("@{}", callee.sip_addr())),
        "{regs:?}"
    );

    caller.dial("sip:102@tipring.test").unwrap();
    let ringing = callee
        .wait_for(EventKind::CallIncoming, EVENT_WAIT)
        .unwrap();
    assert!(
        ringing
            .peer_uri
            .as_deref()
            .unwrap_or("")
            .contains("101@tipring.test"),
        "{ringing:?}"
    );
    caller.wait_for(EventKind::CallRinging, EVENT_WAIT).unwrap();
    callee.answer().unwrap();
    caller
        .wait_for(EventKind::CallEstablished, EVENT_WAIT)
        .unwrap();
    callee
        .wait_for(EventKind::CallEstablished, EVENT_WAIT)
        .unwrap();
    callee.hangup().unwrap();
    caller.wait_for(EventKind::CallClosed, EVENT_WAIT).unwrap();
    let log = std::fs::read_to_string(k.log_path()).unwrap();
    assert!(log.contains("tipring: INVITE"), "{log}");
}

/// Stopping: the ports are free again and no process is left behind.
#[test]
#[allow(clippy::disallowed_methods)] // the test's own clock, for the stop time
fn baresip_stops_on_drop_mid_call() {
    let callee = baresip(BaresipConfig::new("callee"));
    let caller = baresip(BaresipConfig::new("caller"));
    caller.dial(&callee.uri()).unwrap();
    caller
        .wait_for(EventKind::CallEstablished, EVENT_WAIT)
        .unwrap();
    let (sip, ctrl) = (callee.sip_addr(), callee.ctrl_addr());
    let started = std::time::Instant::now();
    drop(callee);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    std::net::UdpSocket::bind(sip).expect("baresip still holds its SIP port");
    std::net::TcpListener::bind(ctrl).expect("baresip still holds its control port");
    // the caller notices the callee went away only by timeouts; it is still there
    assert!(caller.command("listcalls", "").is_ok());
}

/// (sample rate, channels) of a WAV file, from its header.
fn hound_spec(path: &Path) -> (u32, u16) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[0..4], b"RIFF", "{}", path.display());
    let channels = u16::from_le_bytes([bytes[22], bytes[23]]);
    let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    (rate, channels)
}
