//! Framing SIP over a stream (TCP, TLS, WebSocket-less): cut the byte stream into whole
//! messages by Content-Length (RFC 3261 §18.3), in the check-then-take style of
//! mini-redis's `frame.rs`: bytes are pushed in as they arrive, [`StreamFramer::next`]
//! answers `Ok(None)` ("incomplete, wait") until a whole frame is buffered.
//!
//! Keep-alives (RFC 5626 §3.5.1): a double CRLF ("ping") between messages is reported as
//! [`Frame::KeepAlive`] so the transport can answer with a single CRLF ("pong"); a single
//! CRLF is reported as [`Frame::Pong`]. A ping split across two reads is seen as two pongs.
//!
//! After an error the stream is out of step: the transport must close the connection
//! (every later call returns the same error).

use crate::error::{ParseError, ParseErrorKind};
use crate::headers::Headers;
use crate::message::{content_length_of, find_head_end, Limits};

/// One item cut from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole message (start line to end of body), ready for
    /// [`Message::parse`](crate::Message::parse).
    Message(Vec<u8>),
    /// A CRLF CRLF keep-alive ping: answer with CRLF.
    KeepAlive,
    /// A single CRLF: a keep-alive pong.
    Pong,
}

/// Buffers a byte stream and cuts it into frames.
#[derive(Debug, Clone, Default)]
pub struct StreamFramer {
    buf: Vec<u8>,
    limits: Limits,
    failed: Option<ParseError>,
}

impl StreamFramer {
    /// A framer with the given limits.
    pub fn new(limits: Limits) -> StreamFramer {
        StreamFramer {
            buf: Vec::new(),
            limits,
            failed: None,
        }
    }

    /// Append bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next frame: `Ok(None)` until one is complete; `Err` when the stream cannot be
    /// framed (missing, bad or repeated Content-Length, message over the size limit) —
    /// then the connection must be closed.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Frame>, ParseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.check() {
            Ok(Some((consume, frame))) => {
                let bytes: Vec<u8> = self.buf.drain(..consume).collect();
                Ok(Some(match frame {
                    Some(f) => f,
                    None => Frame::Message(bytes),
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.buf.clear();
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Look at the buffer: how many bytes the next frame takes, and the frame when it is
    /// not a message.
    fn check(&mut self) -> Result<Option<(usize, Option<Frame>)>, ParseError> {
        let b = &self.buf;
        if b.starts_with(b"\r\n\r\n") {
            return Ok(Some((4, Some(Frame::KeepAlive))));
        }
        if b.starts_with(b"\r\n") {
            if b.len() == 3 && b[2] == b'\r' {
                return Ok(None);
            }
            return Ok(Some((2, Some(Frame::Pong))));
        }
        if b.is_empty() || b == b"\r" {
            return Ok(None);
        }
        if b[0] == b'\n' {
            // A bare LF between messages: skip it.
            let n = b.iter().take_while(|&&c| c == b'\n').count();
            self.buf.drain(..n);
            return self.check();
        }
        let Some((head_end, body_start)) = find_head_end(b) else {
            if b.len() > self.limits.max_message_size {
                return Err(ParseError::new(
                    ParseErrorKind::TooLarge,
                    format!("no end of headers in {} bytes", b.len()),
                ));
            }
            return Ok(None);
        };
        let head = String::from_utf8_lossy(&b[..head_end]);
        let mut headers = Headers::new();
        let mut current: Option<String> = None;
        for line in head
            .split('\n')
            .skip(1)
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
        {
            if line.starts_with([' ', '\t']) {
                if let Some(c) = &mut current {
                    c.push(' ');
                    c.push_str(line.trim());
                }
                continue;
            }
            flush(&mut current, &mut headers);
            current = Some(line.to_owned());
        }
        flush(&mut current, &mut headers);
        let Some(len) = content_length_of(&headers)? else {
            return Err(ParseError::new(
                ParseErrorKind::MissingContentLength,
                "Content-Length is mandatory on a stream (RFC 3261 §18.3)",
            ));
        };
        let total = body_start
            .checked_add(len)
            .filter(|t| *t <= self.limits.max_message_size)
            .ok_or_else(|| {
                ParseError::new(
                    ParseErrorKind::TooLarge,
                    format!(
                        "Content-Length {len} over the limit of {}",
                        self.limits.max_message_size
                    ),
                )
            })?;
        if b.len() < total {
            return Ok(None);
        }
        Ok(Some((total, None)))
    }
}

/// Add a header line's Content-Length (only that header matters for framing).
fn flush(current: &mut Option<String>, headers: &mut Headers) {
    if let Some(line) = current.take() {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim_end_matches([' ', '\t']);
            if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
                headers.push("Content-Length", value.trim());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nl: 5\r\n\r\nhello";

    // RFC 3261 §18.3: frame by Content-Length across partial reads.
    #[test]
    fn partial_and_many() {
        let mut f = StreamFramer::default();
        let mut stream = Vec::new();
        stream.extend_from_slice(MSG);
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(MSG);
        stream.extend_from_slice(b"\r\n");
        stream.extend_from_slice(MSG);
        let mut frames = Vec::new();
        for chunk in stream.chunks(7) {
            f.push(chunk);
            while let Some(fr) = f.next().unwrap() {
                frames.push(fr);
            }
        }
        assert_eq!(
            frames,
            [
                Frame::Message(MSG.to_vec()),
                Frame::KeepAlive,
                Frame::Message(MSG.to_vec()),
                Frame::Pong,
                Frame::Message(MSG.to_vec()),
            ]
        );
        assert_eq!(f.buffered(), 0);
        let Frame::Message(m) = &frames[0] else {
            unreachable!()
        };
        assert_eq!(Message::parse(m).unwrap().body(), b"hello");
    }

    // RFC 3261 §18.3: Content-Length mandatory on streams; RFC 4475 §3.1.2.3, §3.3.9.
    #[test]
    fn framing_errors_are_sticky() {
        for bad in [
            &b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n"[..],
            b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n",
            b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 13\r\nContent-Length: 5\r\n\r\n",
        ] {
            let mut f = StreamFramer::default();
            f.push(bad);
            let e = f.next().unwrap_err();
            assert!(e.is_framing(), "{e}");
            f.push(MSG);
            assert!(f.next().is_err());
        }
        let mut f = StreamFramer::new(Limits {
            max_message_size: 64,
            ..Limits::default()
        });
        f.push(&[b'A'; 100]);
        assert_eq!(f.next().unwrap_err().kind, ParseErrorKind::TooLarge);
        // Content-Length larger than what arrived: wait (RFC 4475 §3.1.2.2 on TCP).
        let mut f = StreamFramer::default();
        f.push(b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 9999\r\n\r\nv=0\r\n");
        assert_eq!(f.next().unwrap(), None);
    }
}
