//! CPU cost of one T.38 gateway channel, against the target of 8 simultaneous
//! faxes in under 25 % of one core.
//!
//! A full 3-page fax runs through two gateways back to back (audio fax machine
//! -> gateway A -> IFP -> gateway B -> audio fax machine), as in the
//! integration tests; only the gateway calls are timed (`audio_from_line`,
//! `audio_to_line`, `ifp_from_network`, `poll_ifp`) and the UDPTL framing each way
//! (redundancy of depth 3, as the gateway runs it), not the simulated machines.
//! The figure is CPU seconds per second of fax, as a share of one core; the baseline
//! beside it is the budget: 8 simultaneous faxes in under 25 % of one core.

use std::path::Path;
use std::time::Duration;

use tipring_fax::document::write_test_document;
use tipring_fax::{FaxMachine, GatewayConfig, MachineOptions, T38Gateway};

const FRAME: usize = 80;
const TARGET_8_CHANNELS: f64 = 25.0;

struct Cost {
    gateway_cpu: Duration,
    /// The busiest second of audio: gateway CPU for both channels.
    peak_second: Duration,
    /// The simulated fax machines' CPU, for scale.
    machines_cpu: Duration,
    audio_seconds: f64,
    pages: u32,
}

#[allow(clippy::disallowed_methods)] // a benchmark reads the clock
fn run_fax(dir: &Path, ecm: bool, max_bit_rate: u32) -> Cost {
    use std::time::Instant;
    let doc = dir.join("bench-sent.tif");
    let out = dir.join("bench-received.tif");
    write_test_document(&doc, 3).expect("document");
    let opts = MachineOptions {
        ecm,
        ..MachineOptions::default()
    };
    let cfg = GatewayConfig {
        ecm,
        max_bit_rate,
        ..GatewayConfig::default()
    };
    let mut sender = FaxMachine::sender(&doc, &opts).expect("sender");
    let mut receiver = FaxMachine::receiver(&out, &opts).expect("receiver");
    let mut gw_a = T38Gateway::new(&cfg).expect("gateway A");
    let mut gw_b = T38Gateway::new(&cfg).expect("gateway B");
    let udptl = tipring_udptl::UdptlConfig::default();
    let (mut enc_a, mut enc_b) = (
        tipring_udptl::Encoder::new(&udptl),
        tipring_udptl::Encoder::new(&udptl),
    );
    let (mut rx_a, mut rx_b) = (
        tipring_udptl::Receiver::new(&udptl),
        tipring_udptl::Receiver::new(&udptl),
    );
    let mut spent = Duration::ZERO;
    let mut machines = Duration::ZERO;
    let mut this_second = Duration::ZERO;
    let mut peak_second = Duration::ZERO;
    let mut samples = 0u64;
    let mut a = [0i16; FRAME];
    let mut b = [0i16; FRAME];
    let mut packets = Vec::new();
    while samples < 8000 * 300 {
        let m = Instant::now();
        sender.tx_audio(&mut a);
        receiver.tx_audio(&mut b);
        machines += m.elapsed();

        let start = Instant::now();
        gw_a.audio_from_line(&a);
        gw_a.audio_to_line(&mut a);
        gw_b.audio_from_line(&b);
        gw_b.audio_to_line(&mut b);
        while let Some(p) = gw_a.poll_ifp() {
            packets.push((true, p));
        }
        while let Some(p) = gw_b.poll_ifp() {
            packets.push((false, p));
        }
        for (a_to_b, p) in packets.drain(..) {
            let (enc, rx, gw) = if a_to_b {
                (&mut enc_a, &mut rx_b, &mut gw_b)
            } else {
                (&mut enc_b, &mut rx_a, &mut gw_a)
            };
            let datagram = enc.encode(&p.data).expect("fits");
            let _ = rx.receive(&datagram);
            while let Some(ifp) = rx.poll() {
                let _ = gw.ifp_from_network(ifp.seq, &ifp.data);
            }
        }
        let took = start.elapsed();
        spent += took;
        this_second += took;

        let m = Instant::now();
        sender.rx_audio(&a);
        receiver.rx_audio(&b);
        machines += m.elapsed();
        samples += FRAME as u64;
        if samples.is_multiple_of(8000) {
            peak_second = peak_second.max(this_second);
            this_second = Duration::ZERO;
        }
        if sender.outcome().is_some() && receiver.outcome().is_some() {
            break;
        }
    }
    let rx = receiver.outcome().expect("receiver finished");
    assert!(rx.success, "bench fax failed: {}", rx.result);
    Cost {
        gateway_cpu: spent,
        peak_second,
        machines_cpu: machines,
        audio_seconds: samples as f64 / 8000.0,
        pages: rx.pages,
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tipring-fax-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (label, ecm, rate) in [
        ("V.17 14400, ECM", true, 14_400),
        ("V.17 14400, no ECM", false, 14_400),
        ("V.29 9600, no ECM", false, 9600),
    ] {
        // Best of 3 runs, to keep noise from other processes out.
        let best = (0..3)
            .map(|_| run_fax(&dir, ecm, rate))
            .min_by(|x, y| x.gateway_cpu.cmp(&y.gateway_cpu))
            .expect("runs");
        // Two gateways ran for the whole call: per channel, half the CPU time.
        let per_channel = best.gateway_cpu.as_secs_f64() / 2.0 / best.audio_seconds * 100.0;
        println!(
            "{label}: {} pages, {:.1} s of fax audio, gateway CPU {:.3} s for 2 channels \
             (busiest second {:.2} ms per channel), simulated machines {:.3} s",
            best.pages,
            best.audio_seconds,
            best.gateway_cpu.as_secs_f64(),
            best.peak_second.as_secs_f64() * 1000.0 / 2.0,
            best.machines_cpu.as_secs_f64()
        );
        println!(
            "T.38 gateway channel: {per_channel:.2} % of a core; 8 faxes: {:.1} % (target < {TARGET_8_CHANNELS} %){}",
            per_channel * 8.0,
            if per_channel * 8.0 < TARGET_8_CHANNELS { "" } else { "  ** over target **" }
        );
        // Worst case: all 8 in their busiest second at once (a gateway pair's
        // busiest second is one demodulating and one modulating channel).
        let peak = best.peak_second.as_secs_f64() / 2.0 * 100.0;
        println!(
            "  busiest second: {peak:.2} % of a core per channel; 8 faxes: {:.1} % (target < {TARGET_8_CHANNELS} %)",
            peak * 8.0
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
