//! Supplementary services between the gateway's phones through Kamailio, driven from the
//! phones with flash: call waiting (tone, flash to answer, flash to swap) and hold with a
//! consultation call — each checked by what the phones hear.

use std::path::Path;
use std::time::Duration;

use tipring_integration_tests::audio;
use tipring_integration_tests::peers::{Kamailio, KamailioConfig};

use crate::Agent;

pub(crate) const DOMAIN: &str = "tipring.test";
pub(crate) const WAIT: Duration = Duration::from_secs(15);

fn kamailio(users: std::ops::RangeInclusive<u32>) -> Kamailio {
    let cfg = users.fold(KamailioConfig::new(DOMAIN), |c, u| {
        c.account(u.to_string(), format!("pw-{u}"))
    });
    Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// Kamailio with 101..=103 and a three-port gateway registered with it.
fn three_ports() -> (Kamailio, Agent) {
    let k = kamailio(101..=103);
    let mut agent = Agent::start(3, vec![k.addr()], DOMAIN, None);
    for ext in 101..=103 {
        agent.expect(&[&format!("ext {ext}]"), "SIP: registered"], WAIT);
    }
    (k, agent)
}

/// A directory for a test's recordings.
pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tipring-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Port `from` calls extension `to_ext` on port `to`, which answers.
pub(crate) fn connect(agent: &mut Agent, from: usize, to: usize) {
    let (from_ext, to_ext) = (100 + from, 100 + to);
    agent.send(&format!("lift {from}"));
    agent.expect(
        &[&format!("ext {from_ext}]"), "phone hears 350+440 Hz"],
        WAIT,
    );
    agent.send(&format!("press {from} {to_ext}"));
    agent.expect(&[&format!("ext {to_ext}]"), "phone RINGS"], WAIT);
    agent.send(&format!("lift {to}"));
    agent.expect(&[&format!("ext {from_ext}]"), "line: connected"], WAIT);
}

/// What port `p` hears over `ms` while port `speaker` says `hz`.
pub(crate) fn hears(
    agent: &mut Agent,
    dir: &Path,
    p: usize,
    speaker: usize,
    hz: u32,
    ms: u64,
) -> Vec<i16> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("p{p}-{n}.wav"));
    agent.send(&format!("record {p} {}", path.display()));
    agent.send(&format!("speak {speaker} tone {hz} -10 {ms}"));
    std::thread::sleep(Duration::from_millis(ms));
    agent.send(&format!("record {p} stop"));
    agent.expect(
        &[&format!("port {p}: wrote"), &path.display().to_string()],
        WAIT,
    );
    audio::read_wav_8k(&path).unwrap()
}

pub(crate) fn level(samples: &[i16], hz: f64) -> f64 {
    let from = samples.len() / 3;
    audio::tone_level_dbm0(&samples[from..], hz, 8000)
}

#[test]
fn call_waiting_flash_answers_and_swaps() {
    let (_k, mut agent) = three_ports();
    let dir = scratch("cw");
    connect(&mut agent, 1, 2);
    // Port 3 calls port 1, which is talking: it hears the call-waiting tone.
    agent.send("lift 3");
    agent.expect(&["ext 103]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 3 101");
    agent.expect(&["ext 101]", "phone hears 440 Hz"], WAIT);
    // Type 2 caller ID: the off-hook phone's display shows who waits (CAS, the phone's
    // 'D' acknowledgement, then FSK).
    agent.expect(&["ext 101]", "caller ID display", "103"], WAIT);
    // Flash: port 1 now talks with port 3; port 2 is on hold.
    agent.send("flash 1");
    agent.expect(&["ext 103]", "line: connected"], WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let with3 = hears(&mut agent, &dir, 1, 3, 700, 1500);
    let l = level(&with3, 700.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "port 1 hears port 3's 700 Hz at {l:.1} dBm0"
    );
    // Flash again: back to port 2.
    agent.send("flash 1");
    std::thread::sleep(Duration::from_millis(800));
    let with2 = hears(&mut agent, &dir, 1, 2, 1000, 1500);
    let l = level(&with2, 1000.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "port 1 hears port 2's 1000 Hz at {l:.1} dBm0"
    );
    agent.send("hang 1");
    std::fs::remove_dir_all(&dir).unwrap();
    let t = agent.transcript();
    assert!(!t.contains("media refused"), "{t}");
}

#[test]
fn flash_dial_and_hang_up_transfers_the_held_call() {
    // Port 1 talks with port 2, flashes (port 2 held), dials 103, talks with port 3, hangs
    // up: an attended transfer (REFER with Replaces) connects port 2 with port 3.
    let (_k, mut agent) = three_ports();
    let dir = scratch("xfer");
    connect(&mut agent, 1, 2);
    agent.send("flash 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 103");
    agent.expect(&["ext 103]", "phone RINGS"], WAIT);
    agent.send("lift 3");
    agent.expect(&["ext 103]", "line: connected"], WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let consult = hears(&mut agent, &dir, 1, 3, 700, 1200);
    let l = level(&consult, 700.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "port 1 hears port 3 while consulting: {l:.1} dBm0"
    );
    agent.send("hang 1");
    agent.expect(&["ext 101]", "attended transfer"], WAIT);
    agent.expect(&["ext 102]", "SIP: call transferred to a new party"], WAIT);
    std::thread::sleep(Duration::from_millis(1000));
    let l = level(&hears(&mut agent, &dir, 2, 3, 1000, 1500), 1000.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "port 2 hears port 3 after the transfer: {l:.1} dBm0"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn three_way_conference_is_mixed_on_the_gateway() {
    // Port 1 talks with port 2, flashes, dials 103, port 3 answers, port 1 flashes again:
    // a 3-way call mixed on port 1's gateway — each of the others hears the third.
    let (_k, mut agent) = three_ports();
    let dir = scratch("conf");
    connect(&mut agent, 1, 2);
    agent.send("flash 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 103");
    agent.expect(&["ext 103]", "phone RINGS"], WAIT);
    agent.send("lift 3");
    agent.expect(&["ext 103]", "line: connected"], WAIT);
    std::thread::sleep(Duration::from_millis(500));
    agent.send("flash 1");
    agent.expect(&["ext 101]", "3-way conference"], WAIT);
    std::thread::sleep(Duration::from_millis(800));
    let l = level(&hears(&mut agent, &dir, 3, 2, 700, 1500), 700.0);
    assert!(
        (l + 10.0).abs() < 2.5,
        "port 3 hears port 2 in the conference: {l:.1} dBm0"
    );
    let l = level(&hears(&mut agent, &dir, 2, 3, 1000, 1500), 1000.0);
    assert!(
        (l + 10.0).abs() < 2.5,
        "port 2 hears port 3 in the conference: {l:.1} dBm0"
    );
    let l = level(&hears(&mut agent, &dir, 1, 2, 500, 1500), 500.0);
    assert!(
        (l + 10.0).abs() < 2.5,
        "port 1 hears port 2 too: {l:.1} dBm0"
    );
    // The conference's owner hangs up: everyone's call ends.
    agent.send("hang 1");
    agent.expect(&["ext 102]", "line: congestion tone"], WAIT);
    agent.expect(&["ext 103]", "line: congestion tone"], WAIT);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn star_codes_forward_calls_with_302() {
    // *72 103# forwards every call to port 2 on to port 3; *73 clears it; *90 103#
    // forwards only when port 2 is busy (off hook here).
    let (_k, mut agent) = three_ports();
    agent.send("lift 2");
    agent.expect(&["ext 102]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 2 *72103#");
    agent.expect(&["ext 102]", "ForwardAll(Some(\"103\"))"], WAIT);
    agent.send("hang 2");
    std::thread::sleep(Duration::from_millis(1500));
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 102]", "forwarding the call to 103 (302)"], WAIT);
    agent.expect(&["ext 103]", "phone RINGS"], WAIT);
    agent.send("lift 3");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.send("hang 1");
    agent.expect(&["ext 103]", "line: congestion tone"], WAIT);
    agent.send("hang 3");
    // Forward on busy only.
    agent.send("lift 2");
    std::thread::sleep(Duration::from_millis(600)); // (earlier dial tones are in the log)
    agent.send("press 2 *73");
    agent.expect(&["ext 102]", "ForwardAll(None)"], WAIT);
    std::thread::sleep(Duration::from_millis(1200));
    agent.send("press 2 *90103#");
    agent.expect(&["ext 102]", "ForwardBusy(Some(\"103\"))"], WAIT);
    std::thread::sleep(Duration::from_millis(1500));
    agent.send("lift 1");
    std::thread::sleep(Duration::from_millis(500));
    agent.send("press 1 102");
    agent.expect(
        &["ext 102]", "busy, forwarding the call to 103 (302)"],
        WAIT,
    );
    agent.expect(&["ext 103]", "phone RINGS"], WAIT);
}

#[test]
fn voicemail_notify_lights_the_lamp_and_stutters_the_dial_tone() {
    // A voicemail server's unsolicited NOTIFY (RFC 3842) turns the phone's lamp on (VMWI
    // FSK on the idle line) and the dial tone into stutter dial tone; "no" turns it off.
    use tipring_integration_tests::peers::Sipp;
    let mut agent = Agent::start_peer_to_peer(1, "127.0.0.1:9".parse().unwrap());
    let line = agent.expect(&["SIP on udp:"], WAIT);
    let addr: std::net::SocketAddr = line
        .split("udp:")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let notify = |waiting: &str| {
        let out = Sipp::scenario("notify_mwi.xml")
            .remote(addr)
            .service("101")
            .key("waiting", waiting)
            .run()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.successful_calls, 1, "{out}");
    };
    notify("yes");
    agent.expect(&["ext 101]", "message lamp ON"], WAIT);
    agent.send("lift 1");
    agent.expect(&["ext 101]", "tone: stutter-dial"], WAIT);
    agent.send("hang 1");
    std::thread::sleep(Duration::from_millis(1500));
    notify("no");
    agent.expect(&["ext 101]", "message lamp off"], WAIT);
}

#[test]
fn the_primary_registrar_dies_mid_call_and_the_ports_move_to_the_backup() {
    // Both registrars know the ports; the ports register with the primary and call
    // through it. The primary is stopped during the call: the call's media goes on (it
    // never passed through the registrar), the ports move to the backup (the UDP
    // keep-alive, here every 3 s with a 6.4 s timer F, finds the primary gone), and a new
    // call goes through it.
    let primary = kamailio(101..=102);
    let backup = kamailio(101..=102);
    let backup_addr = backup.addr().to_string();
    let mut agent = Agent::start_quick_failover(2, vec![primary.addr(), backup.addr()], DOMAIN);
    agent.expect(&["ext 101]", "SIP: registered with"], WAIT);
    agent.expect(&["ext 102]", "SIP: registered with"], WAIT);
    let dir = scratch("failover");
    connect(&mut agent, 1, 2);
    std::thread::sleep(Duration::from_millis(500));
    drop(primary);
    let l = level(&hears(&mut agent, &dir, 2, 1, 1000, 1500), 1000.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "the call goes on without the registrar: {l:.1} dBm0"
    );
    for ext in ["101", "102"] {
        let line = agent.expect(
            &[&format!("ext {ext}]"), "SIP: registered with", &backup_addr],
            Duration::from_secs(20),
        );
        assert!(line.contains(&backup_addr), "{line}");
    }
    agent.send("hang 1");
    agent.send("hang 2");
    std::thread::sleep(Duration::from_millis(1500));
    // A new call through the backup.
    agent.send("lift 1");
    std::thread::sleep(Duration::from_millis(600));
    agent.send("press 1 102");
    let ringing = agent.expect(&["ext 102]", "phone RINGS"], WAIT);
    assert!(!ringing.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hanging_up_while_the_consultation_rings_is_a_blind_transfer() {
    // Port 1 talks with port 2, flashes, dials 103 and hangs up while port 3 rings: the
    // consultation is cancelled and port 2 is REFERred to 103, which rings for it and
    // then talks with port 2; port 2 reports the success to port 1 (NOTIFY with a 200
    // sipfrag, answered before either side ends the old call).
    let (_k, mut agent) = three_ports();
    let dir = scratch("blind");
    connect(&mut agent, 1, 2);
    agent.send("flash 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 103");
    agent.expect(&["ext 103]", "phone RINGS"], WAIT);
    agent.send("hang 1");
    agent.expect(&["ext 101]", "SIP: blind transfer to 103 (REFER)"], WAIT);
    // Port 3 rings again, now for port 2, with its caller ID.
    agent.expect(&["ext 103]", "caller ID display", "102"], WAIT);
    agent.send("lift 3");
    agent.expect(&["ext 103]", "line: connected"], WAIT);
    agent.expect(&["ext 101]", "SIP: transfer done"], WAIT);
    std::thread::sleep(Duration::from_millis(800));
    let l = level(&hears(&mut agent, &dir, 3, 2, 700, 1500), 700.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "port 3 hears port 2 after the transfer: {l:.1} dBm0"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn flash_holds_and_flash_again_resumes() {
    // Port 1 flashes: port 2 is put on hold (re-INVITE, sendonly) and hears nothing of
    // port 1, which gets dial tone; a second flash takes the call back (sendrecv).
    let (_k, mut agent) = three_ports();
    let dir = scratch("hold");
    connect(&mut agent, 1, 2);
    agent.mark();
    agent.send("flash 1");
    agent.expect(&["ext 101]", "line: on hold"], WAIT);
    agent.expect(&["ext 102]", "SIP: media PCMU", "(RecvOnly)"], WAIT);
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    let held = hears(&mut agent, &dir, 2, 1, 1004, 1500);
    let l = level(&held, 1004.0);
    assert!(l < -40.0, "port 2 hears port 1 while held: {l:.1} dBm0");
    agent.mark();
    agent.send("flash 1");
    agent.expect(&["ext 102]", "SIP: media PCMU", "(SendRecv)"], WAIT);
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let back = hears(&mut agent, &dir, 2, 1, 1004, 1500);
    let l = level(&back, 1004.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "port 2 hears port 1 again: {l:.1} dBm0"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn star_67_withholds_the_caller_id() {
    // *67 before the number: an anonymous From with Privacy: id through Kamailio; the
    // called phone's display reads PRIVATE. The next call shows the number again.
    let (_k, mut agent) = three_ports();
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 *67102");
    agent.expect(&["ext 101]", "SIP: calling 102 (caller ID withheld)"], WAIT);
    agent.expect(&["ext 102]", "caller ID display", "PRIVATE"], WAIT);
    agent.send("hang 1");
    agent.expect(&["ext 102]", "line: idle"], WAIT);
    std::thread::sleep(Duration::from_millis(1500));
    agent.mark();
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 102");
    let shown = agent.expect(&["ext 102]", "caller ID display"], WAIT);
    assert!(
        shown.contains("101") && !shown.contains("PRIVATE"),
        "{shown}"
    );
}

#[test]
fn do_not_disturb_and_anonymous_rejection_from_star_codes() {
    // *78 on port 2: callers get busy; *79 clears it. *77 on port 3: withheld callers get
    // busy, others ring.
    let (_k, mut agent) = three_ports();
    agent.send("lift 2");
    agent.expect(&["ext 102]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 2 *78");
    agent.expect(&["ext 102]", "DoNotDisturb(true)"], WAIT);
    agent.send("hang 2");
    std::thread::sleep(Duration::from_millis(1500));
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 102]", "refused (do not disturb"], WAIT);
    agent.expect(&["ext 101]", "line: busy tone"], WAIT);
    agent.send("hang 1");
    agent.send("lift 3");
    agent.expect(&["ext 103]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 3 *77");
    agent.expect(&["ext 103]", "AnonymousReject(true)"], WAIT);
    agent.send("hang 3");
    std::thread::sleep(Duration::from_millis(1500));
    agent.mark();
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 *67103");
    agent.expect(&["ext 103]", "refused (do not disturb / anonymous)"], WAIT);
    agent.expect(&["ext 101]", "line: busy tone"], WAIT);
    agent.send("hang 1");
    std::thread::sleep(Duration::from_millis(1500));
    agent.mark();
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 103");
    agent.expect(&["ext 103]", "phone RINGS"], WAIT);
}
