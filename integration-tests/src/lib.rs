//! # tipring-integration-tests
//!
//! End-to-end and interop tests for Tipring against real, independently written peers,
//! which the tests start themselves on loopback ports and stop when they end (even when a
//! test panics: every peer is killed in `Drop`).
//!
//! [`peers`] is the harness:
//!
//! * [`peers::Kamailio`] — a Kamailio registrar/proxy with digest auth and no database,
//!   configured from [`peers::KamailioConfig`] (domain/realm, accounts, INVITE auth,
//!   record-route, MD5 or SHA-256) and rendered from `peers/kamailio.cfg.tmpl`.
//! * [`peers::Sipp`] — SIPp with a scenario from `scenarios/` (or a built-in one); `run()`
//!   blocks and returns a [`peers::SippOutcome`] (exit code, successful and failed calls,
//!   log files), `spawn()` leaves a UAS running in the background.
//! * [`peers::TestCa`] — a throwaway certificate authority (rcgen); a TLS-enabled
//!   Kamailio ([`peers::KamailioConfig::tls`]) gets its certificate from one and exposes
//!   the CA file ([`peers::Kamailio::ca_pem_path`]) for the client under test.
//! * [`peers::Baresip`] — baresip, an independent UA with real media, configured from
//!   [`peers::BaresipConfig`] (direct-IP or registered account, codecs, SRTP, auto-answer,
//!   a WAV file as its microphone, recording of what it hears); driven over its
//!   `ctrl_tcp` socket: `dial`, `answer`, `hangup`, `send_dtmf` (RFC 4733), `wait_for`
//!   an event, `recordings`.
//! * [`peers::free_port`], [`peers::options_ping`] and [`peers::options_ping_tls`] for
//!   anything else.
//!
//! [`audio`] makes and measures the signals: WAV files in and out (resampled by sox),
//! tones and DTMF at levels in dBm0, Goertzel levels, the dominant frequency, DTMF decoded
//! by multimon-ng, µ-law WAV files for SIPp's `rtp_stream`.
//!
//! The tools come from Debian (`kamailio`, `kamailio-tls-modules`, `sip-tester`, `baresip`,
//! `sox`, `multimon-ng`);
//! `ops/install-deps` installs them. A test that cannot find one fails with
//! [`Error::MissingTool`] (or [`Error::MissingModule`] for Kamailio's `tls.so`), whose
//! message names the install command.
//!
//! ## Example: register a SIPp UA to Kamailio
//!
//! ```no_run
//! use tipring_integration_tests::peers::{Kamailio, KamailioConfig, Sipp};
//!
//! # fn main() -> tipring_integration_tests::Result<()> {
//! let kamailio = Kamailio::start(
//!     &KamailioConfig::new("tipring.test").account("101", "secret-101"),
//! )?;
//!
//! let outcome = Sipp::scenario("register_auth.xml")
//!     .remote(kamailio.addr())
//!     .service("101")
//!     .credentials("101", "secret-101")
//!     .run()?;
//! assert_eq!(outcome.successful_calls, 1, "{outcome}");
//!
//! let registrations = kamailio.registrations()?;
//! assert_eq!(registrations[0].aor, "101");
//! # Ok(())
//! # }
//! ```
//!
//! ## Example: a call through Kamailio to a SIPp UAS
//!
//! ```no_run
//! use tipring_integration_tests::peers::{Kamailio, KamailioConfig, Sipp};
//!
//! # fn main() -> tipring_integration_tests::Result<()> {
//! let kamailio = Kamailio::start(&KamailioConfig::new("tipring.test").account("102", "pw"))?;
//! // the callee: answers one call, in the background
//! let callee = Sipp::scenario("uas_answer.xml").spawn()?;
//! // register 102 with the callee's port as its Contact
//! Sipp::scenario("register_auth.xml")
//!     .remote(kamailio.addr())
//!     .service("102")
//!     .credentials("102", "pw")
//!     .key("contact_port", callee.local_addr().port().to_string())
//!     .run()?;
//! // the caller
//! let caller = Sipp::scenario("uac_call.xml").remote(kamailio.addr()).service("102").run()?;
//! assert_eq!(caller.successful_calls, 1, "{caller}");
//! let callee = callee.wait(std::time::Duration::from_secs(5))?;
//! assert_eq!(callee.successful_calls, 1, "{callee}");
//! # Ok(())
//! # }
//! ```
//!
//! ## Example: Kamailio over TLS
//!
//! ```no_run
//! use std::time::Duration;
//! use tipring_integration_tests::peers::{
//!     options_ping_tls, Kamailio, KamailioConfig, KAMAILIO_TLS_NAME,
//! };
//!
//! # fn main() -> tipring_integration_tests::Result<()> {
//! let kamailio = Kamailio::start(&KamailioConfig::new("tipring.test").tls(true))?;
//! let tls = kamailio.tls_addr().expect("asked for TLS");
//! // what a client under test is given: the CA file and the name to expect
//! let ca = std::fs::read(kamailio.ca_pem_path().expect("asked for TLS")).unwrap();
//! let status = options_ping_tls(tls, &ca, KAMAILIO_TLS_NAME, Duration::from_secs(2))?;
//! assert_eq!(status, "SIP/2.0 200 OK");
//! # Ok(())
//! # }
//! ```
//!
//! ## Example: two baresips, a tone and DTMF
//!
//! ```no_run
//! use std::time::Duration;
//! use tipring_integration_tests::audio;
//! use tipring_integration_tests::peers::{Baresip, BaresipConfig, EventKind};
//!
//! # fn main() -> tipring_integration_tests::Result<()> {
//! let wait = Duration::from_secs(5);
//! audio::write_wav("tone.wav".as_ref(), &audio::tone(1004.0, -10.0, 3000, 8000), 8000)?;
//! let callee = Baresip::start(&BaresipConfig::new("callee").record(true))?;
//! let caller = Baresip::start(&BaresipConfig::new("caller").play("tone.wav"))?;
//! caller.dial(&callee.uri())?;
//! caller.wait_for(EventKind::CallEstablished, wait)?;
//! caller.send_dtmf("123#")?;
//! std::thread::sleep(Duration::from_secs(2));
//! caller.hangup()?;
//! callee.wait_for(EventKind::CallClosed, wait)?;
//! assert_eq!(callee.received_dtmf(), "123#");
//! let heard = audio::read_wav_8k(&callee.received_recordings()?[0])?;
//! let level = audio::tone_level_dbm0(&heard[4000..12000], 1004.0, 8000);
//! assert!((level + 10.0).abs() < 1.0, "{level} dBm0");
//! # Ok(())
//! # }
//! ```
//!
//! Set `TIPRING_KEEP_PEER_DIRS=1` to keep every peer's directory (configuration, logs,
//! SIPp message traces); they are always kept when a test panics.

pub mod audio;
pub mod error;
pub mod peers;
pub mod procstat;

pub use error::{Error, Result};
