//! How the harness reports a SIPp that cannot run or does not finish.

use std::net::UdpSocket;
use std::time::Duration;

use tipring_integration_tests::peers::{scenarios_dir, Sipp};
use tipring_integration_tests::Error;

#[test]
fn a_scenario_sipp_rejects_is_reported_with_its_reason() {
    let dir = std::env::temp_dir().join(format!("tipring-bad-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.xml");
    // a keyword SIPp does not know (and no -key defines): it refuses the file at start
    let text = "<?xml version=\"1.0\"?>\n<scenario name=\"broken\">\n<send><![CDATA[\n\
                OPTIONS sip:[no_such_keyword]@[remote_ip] SIP/2.0\nContent-Length: 0\n\n\
                ]]></send>\n</scenario>\n";
    std::fs::write(&file, text).unwrap();
    let err = Sipp::scenario_file(&file).run().unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    let Error::Exited {
        status, tail, log, ..
    } = &err
    else {
        panic!("expected Exited, got {err}");
    };
    assert_ne!(status, "exit code 0", "{err}");
    assert!(
        tail.contains("Unsupported keyword 'no_such_keyword'"),
        "{err}"
    );
    // the logs it points at are kept for the reader
    assert!(log.is_dir(), "{err}");
    std::fs::remove_dir_all(log).unwrap();

    let missing = Sipp::scenario("no_such_scenario.xml").run().unwrap_err();
    assert!(matches!(missing, Error::InvalidConfig(_)), "{missing}");
    assert!(scenarios_dir().join("uac_call.xml").is_file());
}

#[test]
fn a_sipp_that_does_not_finish_is_stopped_at_the_deadline() {
    // a UAS that nobody calls
    let uas = Sipp::scenario("uas_answer.xml").spawn().unwrap();
    let addr = uas.local_addr();
    let err = uas.wait(Duration::from_millis(300)).unwrap_err();
    let Error::Timeout { waited, log, .. } = &err else {
        panic!("expected Timeout, got {err}");
    };
    assert_eq!(*waited, Duration::from_millis(300));
    // stopped: its port is free again
    UdpSocket::bind(addr).expect("sipp still holds its port");
    std::fs::remove_dir_all(log).unwrap();
}
