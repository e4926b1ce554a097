//! The simulator's command language: one command per line, typed by a person or piped in.

use std::time::Duration;

/// One command of the simulator prompt. Ports are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Lift the handset.
    Lift(usize),
    /// Hang up.
    HangUp(usize),
    /// Press keys on the DTMF keypad (tones in the audio).
    Press(usize, String),
    /// Dial on the rotary dial (hook pulses).
    Rotary(usize, String),
    /// Flash the hook for this long.
    Flash(usize, Duration),
    /// A call from the network to this port, with caller ID.
    Call {
        port: usize,
        number: Option<String>,
        name: Option<String>,
    },
    /// The network caller gives up (before answer) or hangs up (after).
    Cancel(usize),
    /// The far end of an outgoing call to the network answers.
    Answer(usize),
    /// The far end of an outgoing call to the network is busy.
    Busy(usize),
    /// Message waiting on or off.
    Mwi(usize, bool),
    /// The port's hardware reports a line fault (`Some(reason)`) or that it cleared.
    Fault(usize, Option<String>),
    /// Speak into the handset: a WAV file or a test tone.
    Speak(usize, Sound),
    /// Record what the handset's earpiece plays into a WAV file (`None`: stop and write).
    Record(usize, Option<std::path::PathBuf>),
    /// Record the line side of the port — everything it sends toward the phone, on hook
    /// or off (caller-ID data between the rings too) — into a WAV file (`None`: stop).
    Tap(usize, Option<std::path::PathBuf>),
    /// Put a fax machine on port P's line beside the handset: it sends the pages of a
    /// TIFF file (`send`) or writes what it receives to one; `None`: take it away.
    Fax(usize, Option<(FaxRole, std::path::PathBuf)>),
    /// Show every port.
    Status,
    /// Read the configuration file again and apply what changed (refused: the running
    /// configuration stays).
    Reload,
    /// Go back to the configuration before the current one.
    Rollback,
    /// Show the running configuration's version.
    Version,
    /// Set `DeviceInfo.ProvisioningCode` on the gateway (the installer's claim code;
    /// empty: clear it). Stored as a new configuration version.
    ProvisioningCode(String),
    /// Wait before reading the next command (for scripts).
    Sleep(Duration),
    /// Show the commands.
    Help,
    /// Leave.
    Quit,
    /// An empty line or a comment.
    Nothing,
}

/// What a simulated fax machine does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaxRole {
    /// Sends a document (the calling machine: CNG, then pages).
    Send,
    /// Receives one (the answering machine: CED, then pages to a file).
    Receive,
}

/// What the simulated phone's user says into the mouthpiece.
#[derive(Debug, Clone, PartialEq)]
pub enum Sound {
    /// A WAV file: 8 kHz mono 16-bit PCM.
    Wav(std::path::PathBuf),
    /// A sine tone: frequency in Hz, level in dBm0, duration.
    Tone {
        /// Frequency, Hz (50 ..= 3950).
        hz: f32,
        /// Level, dBm0 (-60 ..= 3).
        dbm0: f32,
        /// How long.
        duration: Duration,
    },
}

impl Eq for Sound {}

/// The help text of the prompt.
pub const HELP: &str = "\
commands (ports are numbered from 1):
  lift P                 lift the handset of port P (off hook)
  hang P                 hang up port P (on hook)
  press P KEYS           press DTMF keys, e.g. `press 1 5551234` or `press 1 *69`
  rotary P DIGITS        dial with the rotary dial (hook pulses, 10 pps)
  flash P [MS]           flash the hook (default 300 ms; over 900 ms is a hang-up)
  call P [NUMBER] [NAME] a call from the network rings port P with caller ID
                         (`call 2 5551000 Alice Smith`, `call 2 private`, `call 2 unknown`)
  cancel P               the network caller to/from port P gives up or hangs up
  answer P               the network answers the call port P placed
  busy P                 the network called by port P is busy
  mwi P on|off           voicemail waiting lamp and stutter dial tone
  fault P REASON         the port reports a line fault (out of service); `fault P clear`
  speak P FILE.wav       say a WAV file (8 kHz mono 16-bit) into the handset of port P
  speak P tone HZ DBM0 MS   say a test tone, e.g. `speak 1 tone 1004 -10 2000`
  record P FILE.wav      record port P's earpiece from now on; `record P stop` writes it
  tap P FILE.wav         record what port P sends down the line, on hook too (caller ID);
                         `tap P stop` writes it
  fax send P FILE.tif    put a fax machine on port P that sends the pages of a TIFF
                         (lift P and dial first, or answer: it starts once connected)
  fax receive P FILE.tif a fax machine on port P that answers and writes what it gets
  fax P stop             take the fax machine away
  status                 show every port
  reload                 read the configuration file again (--config) and apply what
                         changed; a refused file leaves the running configuration alone
  rollback               go back to the previous configuration (--state-dir keeps it)
  version                the running configuration's version
  provisioning-code CODE set the TR-069 ProvisioningCode (the provisioner's claim code);
                         `provisioning-code -` clears it
  sleep MS               wait (for piped scripts)
  help                   this text
  quit                   leave
Ports call each other by extension: port 1 is 101, port 2 is 102, ...";

fn port(arg: Option<&str>, ports: usize) -> Result<usize, String> {
    let arg = arg.ok_or("which port? (a number from 1)")?;
    let n: usize = arg
        .parse()
        .map_err(|_| format!("`{arg}` is not a port number"))?;
    if n == 0 || n > ports {
        return Err(format!("there is no port {n} (ports are 1..={ports})"));
    }
    Ok(n)
}

fn keys(arg: Option<&str>, allowed: &str, what: &str) -> Result<String, String> {
    let arg = arg.ok_or_else(|| format!("which {what}?"))?;
    if arg.len() > 32 {
        return Err(format!("at most 32 {what} at a time"));
    }
    match arg
        .chars()
        .find(|c| !allowed.contains(c.to_ascii_uppercase()))
    {
        Some(c) => Err(format!("`{c}` is not one of the {what} {allowed}")),
        None => Ok(arg.to_ascii_uppercase()),
    }
}

fn millis(arg: &str) -> Result<Duration, String> {
    let ms: u64 = arg
        .parse()
        .map_err(|_| format!("`{arg}` is not a number of milliseconds"))?;
    if ms > 600_000 {
        return Err("at most 600000 ms".into());
    }
    Ok(Duration::from_millis(ms))
}

/// Parse one line. `ports` is how many ports the gateway has.
pub fn parse(line: &str, ports: usize) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default().to_ascii_lowercase();
    let cmd = match verb.as_str() {
        "lift" | "offhook" | "up" => Command::Lift(port(words.next(), ports)?),
        "hang" | "hangup" | "onhook" | "down" => Command::HangUp(port(words.next(), ports)?),
        "press" | "dtmf" | "key" | "keys" => {
            let p = port(words.next(), ports)?;
            Command::Press(p, keys(words.next(), "0123456789*#ABCD", "keys")?)
        }
        "rotary" | "pulse" => {
            let p = port(words.next(), ports)?;
            Command::Rotary(p, keys(words.next(), "0123456789", "digits")?)
        }
        "flash" => {
            let p = port(words.next(), ports)?;
            let d = words
                .next()
                .map(millis)
                .transpose()?
                .unwrap_or(Duration::from_millis(300));
            Command::Flash(p, d)
        }
        "call" | "ring" => {
            let p = port(words.next(), ports)?;
            let number = words.next().map(str::to_string);
            if let Some(n) = &number {
                let special =
                    n.eq_ignore_ascii_case("private") || n.eq_ignore_ascii_case("unknown");
                if !special && (n.len() > 20 || !n.chars().all(|c| c.is_ascii_digit() || c == '+'))
                {
                    return Err(format!(
                        "`{n}` is not a caller number (digits, up to 20; or `private`/`unknown`)"
                    ));
                }
            }
            let name: Vec<&str> = words.by_ref().collect();
            let name = (!name.is_empty()).then(|| name.join(" "));
            return Ok(Command::Call {
                port: p,
                number,
                name,
            });
        }
        "cancel" | "bye" => Command::Cancel(port(words.next(), ports)?),
        "answer" => Command::Answer(port(words.next(), ports)?),
        "busy" => Command::Busy(port(words.next(), ports)?),
        "mwi" => {
            let p = port(words.next(), ports)?;
            let on = match words.next().map(str::to_ascii_lowercase).as_deref() {
                Some("on" | "1" | "yes") => true,
                Some("off" | "0" | "no") => false,
                _ => return Err("mwi P on|off".into()),
            };
            Command::Mwi(p, on)
        }
        "fault" => {
            let p = port(words.next(), ports)?;
            let rest: Vec<&str> = words.by_ref().collect();
            match rest.as_slice() {
                [] => return Err("fault P REASON | fault P clear".into()),
                ["clear"] => Command::Fault(p, None),
                words => Command::Fault(p, Some(words.join(" "))),
            }
        }
        "speak" | "say" | "play" => {
            let p = port(words.next(), ports)?;
            match words.next() {
                Some("tone") => {
                    let num = |w: Option<&str>, what: &str| -> Result<f32, String> {
                        w.ok_or(format!("speak P tone HZ DBM0 MS: which {what}?"))?
                            .parse::<f32>()
                            .map_err(|_| format!("the tone's {what} is not a number"))
                    };
                    let hz = num(words.next(), "frequency")?;
                    let dbm0 = num(words.next(), "level")?;
                    let duration = millis(
                        words
                            .next()
                            .ok_or("speak P tone HZ DBM0 MS: how many ms?")?,
                    )?;
                    if !(50.0..=3950.0).contains(&hz) {
                        return Err(format!("{hz} Hz is outside 50..=3950 Hz"));
                    }
                    if !(-60.0..=3.0).contains(&dbm0) {
                        return Err(format!("{dbm0} dBm0 is outside -60..=3 dBm0"));
                    }
                    Command::Speak(p, Sound::Tone { hz, dbm0, duration })
                }
                Some(file) => Command::Speak(p, Sound::Wav(file.into())),
                None => return Err("speak P FILE.wav, or speak P tone HZ DBM0 MS".into()),
            }
        }
        "record" | "rec" => {
            let p = port(words.next(), ports)?;
            match words.next() {
                Some("stop") => Command::Record(p, None),
                Some(file) => Command::Record(p, Some(file.into())),
                None => return Err("record P FILE.wav, or record P stop".into()),
            }
        }
        "fax" => {
            let usage = "fax send P FILE.tif, fax receive P FILE.tif, or fax P stop";
            match words.next() {
                Some(role @ ("send" | "receive")) => {
                    let p = port(words.next(), ports)?;
                    let file = words.next().ok_or(usage)?;
                    let role = if role == "send" {
                        FaxRole::Send
                    } else {
                        FaxRole::Receive
                    };
                    Command::Fax(p, Some((role, file.into())))
                }
                Some(p) => {
                    let p = port(Some(p), ports)?;
                    match words.next() {
                        Some("stop") => Command::Fax(p, None),
                        _ => return Err(usage.into()),
                    }
                }
                None => return Err(usage.into()),
            }
        }
        "tap" => {
            let p = port(words.next(), ports)?;
            match words.next() {
                Some("stop") => Command::Tap(p, None),
                Some(file) => Command::Tap(p, Some(file.into())),
                None => return Err("tap P FILE.wav, or tap P stop".into()),
            }
        }
        "status" | "st" | "ports" => Command::Status,
        "reload" => Command::Reload,
        "rollback" => Command::Rollback,
        "version" => Command::Version,
        "provisioning-code" | "provisioning_code" => {
            let code = words
                .next()
                .ok_or("provisioning-code CODE (or `-` to clear it)")?;
            let code = if code == "-" { "" } else { code };
            if code.chars().count() > tipring_config::MAX_PROVISIONING_CODE_LEN {
                return Err(format!(
                    "a ProvisioningCode is at most {} characters",
                    tipring_config::MAX_PROVISIONING_CODE_LEN
                ));
            }
            Command::ProvisioningCode(code.to_string())
        }
        "sleep" | "wait" => Command::Sleep(millis(words.next().ok_or("sleep how many ms?")?)?),
        "help" | "?" | "h" => Command::Help,
        "quit" | "exit" | "q" => Command::Quit,
        other => return Err(format!("unknown command `{other}` (type `help`)")),
    };
    if let Some(extra) = words.next() {
        return Err(format!(
            "unexpected `{extra}` after the command (type `help`)"
        ));
    }
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(parse("lift 1", 4), Ok(Command::Lift(1)));
        assert_eq!(
            parse("  press 2 *69#  ", 4),
            Ok(Command::Press(2, "*69#".into()))
        );
        assert_eq!(
            parse("flash 1", 4),
            Ok(Command::Flash(1, Duration::from_millis(300)))
        );
        assert_eq!(
            parse("flash 1 1200", 4),
            Ok(Command::Flash(1, Duration::from_millis(1200)))
        );
        assert_eq!(
            parse("call 3 5551000 Alice Smith", 4),
            Ok(Command::Call {
                port: 3,
                number: Some("5551000".into()),
                name: Some("Alice Smith".into())
            })
        );
        assert_eq!(parse("mwi 1 on", 4), Ok(Command::Mwi(1, true)));
        assert_eq!(
            parse("fault 2 foreign voltage", 4),
            Ok(Command::Fault(2, Some("foreign voltage".into())))
        );
        assert_eq!(parse("fault 2 clear", 4), Ok(Command::Fault(2, None)));
        assert_eq!(
            parse("speak 2 tone 1004 -10 500", 4),
            Ok(Command::Speak(
                2,
                Sound::Tone {
                    hz: 1004.0,
                    dbm0: -10.0,
                    duration: Duration::from_millis(500)
                }
            ))
        );
        assert_eq!(
            parse("record 1 /tmp/x.wav", 4),
            Ok(Command::Record(1, Some("/tmp/x.wav".into())))
        );
        assert_eq!(parse("record 1 stop", 4), Ok(Command::Record(1, None)));
        assert_eq!(
            parse("fax send 2 /tmp/a.tif", 4),
            Ok(Command::Fax(2, Some((FaxRole::Send, "/tmp/a.tif".into()))))
        );
        assert_eq!(
            parse("fax receive 1 b.tif", 4),
            Ok(Command::Fax(1, Some((FaxRole::Receive, "b.tif".into()))))
        );
        assert_eq!(parse("fax 3 stop", 4), Ok(Command::Fax(3, None)));
        assert!(parse("fax send 9 x.tif", 4).is_err());
        assert!(parse("fax send 1", 4).is_err());
        assert!(parse("fax 1 go", 4).is_err());
        assert_eq!(
            parse("provisioning-code 7Q4K-99XF", 4),
            Ok(Command::ProvisioningCode("7Q4K-99XF".into()))
        );
        assert_eq!(
            parse("provisioning-code -", 4),
            Ok(Command::ProvisioningCode(String::new()))
        );
        assert_eq!(parse("# a comment", 4), Ok(Command::Nothing));
        assert_eq!(parse("", 4), Ok(Command::Nothing));
    }

    #[test]
    fn bad_input_gets_a_one_line_error() {
        for (line, expect) in [
            ("frobnicate", "unknown command"),
            ("lift 9", "there is no port 9"),
            ("lift 0", "there is no port 0"),
            ("lift x", "not a port number"),
            ("lift", "which port"),
            ("press 1 12x", "`x` is not one of the keys"),
            ("rotary 1 *", "not one of the digits"),
            ("flash 1 soon", "not a number of milliseconds"),
            ("call 1 55a", "not a caller number"),
            ("mwi 1 maybe", "mwi P on|off"),
            ("lift 1 2", "unexpected `2`"),
            ("speak 1 tone 5000 -10 100", "outside 50..=3950"),
            ("speak 1 tone 1000 loud 100", "level is not a number"),
            ("record 1", "record P FILE.wav"),
            ("provisioning-code", "provisioning-code CODE"),
            ("provisioning-code a b", "unexpected `b`"),
            (
                format!("provisioning-code {}", "x".repeat(65)).as_str(),
                "at most 64",
            ),
        ] {
            let err = parse(line, 4).expect_err(line);
            assert!(err.contains(expect), "{line}: {err}");
            assert!(!err.contains('\n'), "{line}: one line: {err}");
        }
    }
}
