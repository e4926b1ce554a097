//! A `multipart/form-data` body read as it arrives (RFC 7578): the firmware upload's image
//! goes on to the gateway in pieces instead of being held whole. Bounded: a part's head
//! is at most [`MAX_HEAD`] bytes, at most [`MAX_PARTS`] parts; the buffer holds at most
//! one received chunk plus a delimiter's length.

/// Longest head (the part's header lines) taken.
pub const MAX_HEAD: usize = 8 * 1024;
/// Most parts taken.
pub const MAX_PARTS: usize = 8;

/// What a chunk of the body brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A part begins: its `name`.
    Part(String),
    /// Content of the current part.
    Data(Vec<u8>),
    /// The closing delimiter: nothing more.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Preamble,
    AfterDelimiter,
    Head,
    Data,
    Done,
}

/// The reader (see the module docs).
#[derive(Debug)]
pub struct MultipartStream {
    /// `\r\n--BOUNDARY`.
    delimiter: Vec<u8>,
    buf: Vec<u8>,
    state: State,
    parts: usize,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl MultipartStream {
    /// A reader for a body with this boundary.
    pub fn new(boundary: &str) -> Self {
        Self {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            // The first delimiter has no CRLF before it: pretend one came.
            buf: b"\r\n".to_vec(),
            state: State::Preamble,
            parts: 0,
        }
    }

    /// Whether the closing delimiter came.
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    /// Read `chunk`; the pieces it completes, or why the body is not a form.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Piece>, &'static str> {
        let mut out = Vec::new();
        if self.state == State::Done {
            return Ok(out); // the epilogue
        }
        self.buf.extend_from_slice(chunk);
        let keep = self.delimiter.len() - 1;
        loop {
            match self.state {
                State::Preamble => match find(&self.buf, &self.delimiter) {
                    Some(at) => {
                        self.buf.drain(..at + self.delimiter.len());
                        self.state = State::AfterDelimiter;
                    }
                    None => {
                        let cut = self.buf.len().saturating_sub(keep);
                        self.buf.drain(..cut);
                        return Ok(out);
                    }
                },
                State::AfterDelimiter => {
                    if self.buf.len() < 2 {
                        return Ok(out);
                    }
                    match &self.buf[..2] {
                        b"--" => {
                            self.state = State::Done;
                            self.buf.clear();
                            out.push(Piece::Done);
                            return Ok(out);
                        }
                        b"\r\n" => {
                            self.buf.drain(..2);
                            self.state = State::Head;
                        }
                        _ => return Err("a malformed multipart delimiter"),
                    }
                }
                State::Head => match find(&self.buf, b"\r\n\r\n") {
                    Some(end) => {
                        self.parts += 1;
                        if self.parts > MAX_PARTS {
                            return Err("too many parts");
                        }
                        let head = String::from_utf8_lossy(&self.buf[..end]);
                        let name = head
                            .lines()
                            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
                            .and_then(|l| l.split(';').find_map(|p| p.trim().strip_prefix("name=")))
                            .map(|n| n.trim_matches('"').to_string())
                            .unwrap_or_default();
                        self.buf.drain(..end + 4);
                        self.state = State::Data;
                        out.push(Piece::Part(name));
                    }
                    None if self.buf.len() > MAX_HEAD => return Err("a part's head is too long"),
                    None => return Ok(out),
                },
                State::Data => match find(&self.buf, &self.delimiter) {
                    Some(at) => {
                        if at > 0 {
                            out.push(Piece::Data(self.buf[..at].to_vec()));
                        }
                        self.buf.drain(..at + self.delimiter.len());
                        self.state = State::AfterDelimiter;
                    }
                    None => {
                        // All but what could be the start of a delimiter.
                        let cut = self.buf.len().saturating_sub(keep);
                        if cut > 0 {
                            out.push(Piece::Data(self.buf.drain(..cut).collect()));
                        }
                        return Ok(out);
                    }
                },
                State::Done => return Ok(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Vec<u8> {
        let mut b = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"fw.img\"\r\nContent-Type: application/octet-stream\r\n\r\n".to_vec();
        // Content that holds near-delimiters.
        for i in 0..5000u32 {
            b.extend_from_slice(&i.to_le_bytes());
            if i % 777 == 0 {
                b.extend_from_slice(b"\r\n--XyX\r\n--Xy");
            }
        }
        b.extend_from_slice(b"\r\n--XyZ--\r\nepilogue");
        b
    }

    fn content() -> Vec<u8> {
        let b = body();
        let start = find(&b, b"octet-stream\r\n\r\n").unwrap() + 16;
        let end = find(&b, b"\r\n--XyZ--").unwrap();
        b[start..end].to_vec()
    }

    #[test]
    fn any_chunking_gives_the_same_parts() {
        let b = body();
        for size in [1, 2, 3, 7, 64, 1000, b.len()] {
            let mut m = MultipartStream::new("XyZ");
            let mut pieces = Vec::new();
            for c in b.chunks(size) {
                pieces.extend(m.feed(c).unwrap());
            }
            assert!(m.done(), "chunks of {size}");
            let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
            for p in pieces {
                match p {
                    Piece::Part(n) => parts.push((n, Vec::new())),
                    Piece::Data(d) => parts.last_mut().unwrap().1.extend(d),
                    Piece::Done => {}
                }
            }
            assert_eq!(parts.len(), 2, "chunks of {size}");
            assert_eq!(parts[0], ("csrf".to_string(), b"tok-1".to_vec()));
            assert_eq!(parts[1].0, "image");
            assert_eq!(parts[1].1, content(), "chunks of {size}");
        }
    }

    #[test]
    fn bad_bodies_are_refused_and_the_buffer_stays_small() {
        let mut m = MultipartStream::new("b");
        assert_eq!(m.feed(b"--b\r\n").unwrap(), []);
        assert!(m.feed(&[b'x'; MAX_HEAD + 10]).is_err());
        let mut m = MultipartStream::new("b");
        assert!(m.feed(b"--bzz").is_err());
        // No delimiter at all: nothing, and only a delimiter's worth kept.
        let mut m = MultipartStream::new("boundary");
        for _ in 0..100 {
            assert_eq!(m.feed(&[b'q'; 4096]).unwrap(), []);
        }
        assert!(m.buf.len() < 16);
        // Too many parts.
        let mut m = MultipartStream::new("b");
        let part = b"\r\n--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv";
        let mut err = None;
        for _ in 0..=MAX_PARTS {
            if let Err(e) = m.feed(part) {
                err = Some(e);
            }
        }
        assert_eq!(err, Some("too many parts"));
    }
}
