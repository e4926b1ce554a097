//! The transaction state machines alone (RFC 3261 §17, RFC 6026): retransmission
//! schedules against the RFC's timer table, verdicts on responses and requests.

use std::time::{Duration, Instant};

use tipring_sip::timers::Timers;
use tipring_sip::transaction::*;
fn t0() -> Instant {
    #[allow(clippy::disallowed_methods)] // test epoch; virtual time from here
    Instant::now()
}

/// Run a client transaction's timers until it terminates; the times of retransmissions.
fn retransmit_times(tx: &mut ClientTx, start: Instant) -> (Vec<u64>, Vec<TxAction>) {
    let mut times = Vec::new();
    let mut all = Vec::new();
    while let Some(d) = tx.deadline() {
        let mut out = Vec::new();
        tx.on_timer(d, &mut out);
        for a in &out {
            if matches!(a, TxAction::Retransmit(_)) {
                times.push((d - start).as_millis() as u64);
            }
        }
        all.extend(out);
        if tx.state() == ClientState::Terminated {
            break;
        }
    }
    (times, all)
}

#[test]
fn invite_over_udp_retransmits_on_timer_a_until_timer_b() {
    // §17.1.1.2: A starts at T1 and doubles; B fires at 64·T1 = 32 s.
    let t = t0();
    let mut tx = ClientTx::new(
        Kind::Invite,
        t,
        b"INVITE".to_vec(),
        false,
        Timers::default(),
    );
    let (times, actions) = retransmit_times(&mut tx, t);
    assert_eq!(times, vec![500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(actions.last(), Some(&TxAction::Terminated));
    assert!(actions.contains(&TxAction::TimedOut));
}

#[test]
fn non_invite_retransmits_capped_at_t2() {
    // §17.1.2.2: E doubles up to T2 (4 s); F at 32 s.
    let t = t0();
    let mut tx = ClientTx::new(
        Kind::NonInvite,
        t,
        b"REGISTER".to_vec(),
        false,
        Timers::default(),
    );
    let (times, _) = retransmit_times(&mut tx, t);
    assert_eq!(
        times,
        vec![500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
}

#[test]
fn non_invite_in_proceeding_retransmits_at_t2() {
    let t = t0();
    let mut tx = ClientTx::new(Kind::NonInvite, t, b"R".to_vec(), false, Timers::default());
    assert_eq!(
        tx.on_response(t + Duration::from_millis(100), 100),
        Verdict::Pass
    );
    let mut out = Vec::new();
    tx.on_timer(t + Duration::from_millis(600), &mut out);
    assert!(out.is_empty(), "no retransmission at T1 once proceeding");
    tx.on_timer(t + Duration::from_millis(4100), &mut out);
    assert_eq!(out, vec![TxAction::Retransmit(b"R".to_vec())]);
}

#[test]
fn reliable_transports_do_not_retransmit() {
    let t = t0();
    let mut tx = ClientTx::new(Kind::Invite, t, b"INVITE".to_vec(), true, Timers::default());
    let (times, actions) = retransmit_times(&mut tx, t);
    assert!(times.is_empty());
    assert_eq!(actions, vec![TxAction::TimedOut, TxAction::Terminated]);
}

#[test]
fn invite_non_2xx_is_acked_and_retransmissions_reack() {
    let t = t0();
    let mut tx = ClientTx::new(
        Kind::Invite,
        t,
        b"INVITE".to_vec(),
        false,
        Timers::default(),
    );
    assert_eq!(tx.on_response(t, 180), Verdict::Pass);
    assert_eq!(tx.on_response(t, 486), Verdict::PassAndAck);
    tx.set_ack(b"ACK".to_vec());
    assert_eq!(tx.on_response(t, 486), Verdict::Resend(b"ACK".to_vec()));
    assert_eq!(tx.state(), ClientState::Completed);
    // Timer D: 32 s on UDP.
    assert_eq!(tx.deadline(), Some(t + Duration::from_secs(32)));
}

#[test]
fn invite_2xx_retransmissions_go_to_the_tu() {
    let t = t0();
    let mut tx = ClientTx::new(
        Kind::Invite,
        t,
        b"INVITE".to_vec(),
        false,
        Timers::default(),
    );
    assert_eq!(tx.on_response(t, 200), Verdict::Pass);
    assert_eq!(tx.state(), ClientState::Accepted);
    assert_eq!(
        tx.on_response(t, 200),
        Verdict::Pass,
        "RFC 6026: the TU re-ACKs"
    );
    assert_eq!(tx.on_response(t, 180), Verdict::Absorb);
}

#[test]
fn server_invite_retransmits_final_until_ack() {
    // §17.2.1: G from T1 doubling to T2; H at 64·T1; I = T4 after the ACK.
    let t = t0();
    let mut tx = ServerTx::new(Kind::Invite, false, Timers::default());
    assert!(tx.send_response(t, 100, b"100".to_vec()));
    assert_eq!(
        tx.on_request_retransmission(),
        Verdict::Resend(b"100".to_vec())
    );
    assert!(tx.send_response(t, 486, b"486".to_vec()));
    assert!(
        !tx.send_response(t, 200, b"200".to_vec()),
        "one final response only"
    );
    let mut out = Vec::new();
    tx.on_timer(t + Duration::from_millis(500), &mut out);
    tx.on_timer(t + Duration::from_millis(1500), &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(tx.on_ack(t + Duration::from_secs(2)), Verdict::Absorb);
    assert_eq!(tx.state(), ServerState::Confirmed);
    assert_eq!(tx.deadline(), Some(t + Duration::from_secs(7)));
}

#[test]
fn server_invite_times_out_without_ack() {
    let t = t0();
    let mut tx = ServerTx::new(Kind::Invite, true, Timers::default());
    tx.send_response(t, 603, b"603".to_vec());
    let mut out = Vec::new();
    tx.on_timer(t + Duration::from_secs(32), &mut out);
    assert_eq!(out, vec![TxAction::TimedOut, TxAction::Terminated]);
}

#[test]
fn server_non_invite_answers_retransmissions_then_lingers_timer_j() {
    let t = t0();
    let mut tx = ServerTx::new(Kind::NonInvite, false, Timers::default());
    assert_eq!(
        tx.on_request_retransmission(),
        Verdict::Absorb,
        "nothing sent yet"
    );
    tx.send_response(t, 200, b"200".to_vec());
    assert_eq!(
        tx.on_request_retransmission(),
        Verdict::Resend(b"200".to_vec())
    );
    assert_eq!(tx.deadline(), Some(t + Duration::from_secs(32)));
    let mut tcp = ServerTx::new(Kind::NonInvite, true, Timers::default());
    tcp.send_response(t, 200, b"200".to_vec());
    assert_eq!(tcp.deadline(), Some(t), "timer J is zero on TCP");
}
