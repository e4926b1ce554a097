//! FaxMachine -> T38Gateway -> T38Terminal (receiver), and T38Terminal (sender)
//! -> T38Gateway -> FaxMachine.

use tipring_fax::{FaxMachine, GatewayConfig, T38Gateway, T38Terminal};

use crate::common::{
    check_document, describe, machine_opts, run_machine_gateway_terminal, scratch, test_document,
};

fn interop(name: &str, machine_sends: bool, ecm: bool) {
    let dir = scratch(name);
    let doc = test_document(&dir, 3);
    let out = dir.join("received.tif");
    let cfg = GatewayConfig {
        ecm,
        ..GatewayConfig::default()
    };
    let mut gw = T38Gateway::new(&cfg).expect("gateway");
    let (mut machine, mut term) = if machine_sends {
        (
            FaxMachine::sender(&doc, &machine_opts("Machine", ecm, 14_400)).expect("machine"),
            T38Terminal::receiver(&out, &machine_opts("Terminal", ecm, 14_400)).expect("terminal"),
        )
    } else {
        (
            FaxMachine::receiver(&out, &machine_opts("Machine", ecm, 14_400)).expect("machine"),
            T38Terminal::sender(&doc, &machine_opts("Terminal", ecm, 14_400)).expect("terminal"),
        )
    };
    let run = run_machine_gateway_terminal(&mut machine, &mut gw, &mut term, machine_sends);
    println!("{name}: {:.1} s", run.seconds);
    println!("  sender:   {}", describe(&run.tx));
    println!("  receiver: {}", describe(&run.rx));
    println!("  gateway:  {:?}", gw.stats());
    let (tx, rx) = (
        run.tx.expect("sender phase E"),
        run.rx.expect("receiver phase E"),
    );
    assert!(tx.success && rx.success, "{} / {}", tx.result, rx.result);
    assert_eq!((tx.pages, rx.pages), (3, 3));
    assert_eq!(gw.stats().pages, 3);
    drop((machine, term));
    let worst = check_document(&out, 3);
    println!("  worst page differing fraction: {worst:.6}");
    assert!(worst < 0.001);
}

#[test]
fn machine_to_terminal_ecm() {
    interop("m2t_ecm", true, true);
}

#[test]
fn machine_to_terminal_no_ecm() {
    interop("m2t_no_ecm", true, false);
}

#[test]
fn terminal_to_machine_ecm() {
    interop("t2m_ecm", false, true);
}

#[test]
fn terminal_to_machine_no_ecm() {
    interop("t2m_no_ecm", false, false);
}
