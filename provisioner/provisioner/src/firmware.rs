//! Firmware images: stored verified, served to devices with Range (resume) and a
//! per-download authorisation.
//!
//! An image is accepted only when its signature verifies against one of the server's
//! trusted release keys (`--firmware-key`, the same Ed25519 keys the gateways trust; the
//! signing key itself stays offline) and its payload matches the signed size and SHA-256.
//! It is kept as `DATA/firmware/<sha256>.img` with its manifest beside it
//! (`<sha256>.json`); several nodes share the directory (NFS, a volume) as they share the
//! database.
//!
//! A device fetches `/firmware/<sha256>.img?device=ID&exp=UNIX&sig=HMAC` from the ACS
//! listener: the signature (HMAC-SHA256 under `DATA/download.key`) binds the image, the
//! device and an expiry, so a URL is good for that device only and only for a while, and
//! needs no session. `Range: bytes=` requests are answered `206` (a device resumes a
//! broken download), unsatisfiable ones `416`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// What is known of a stored image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// SHA-256 (hex) of the whole image file: its id.
    pub id: String,
    /// Product the image is for.
    pub product: String,
    /// Hardware model it is for.
    pub model: String,
    /// Its version.
    pub version: String,
    /// The rollback floor it sets, if any.
    pub min_version: Option<String>,
    /// Size of the image file, bytes.
    pub size: u64,
    /// The signing key's id.
    pub key_id: String,
    /// When it was uploaded (Unix seconds) and by whom.
    pub uploaded_at: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
}

/// Why an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Not an image, or an image that does not verify.
    #[error("{0}")]
    Image(String),
    /// Storage failed.
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

/// The image directory and the keys.
#[derive(Debug)]
pub struct Firmware {
    dir: PathBuf,
    keys: Vec<[u8; 32]>,
    download_key: ring::hmac::Key,
}

fn is_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Firmware {
    /// Open (or make) `DATA/firmware` and the download key; `keys` are the trusted release
    /// keys (Ed25519 public keys).
    pub fn open(data: &Path, keys: Vec<[u8; 32]>) -> anyhow::Result<Self> {
        let dir = data.join("firmware");
        std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
        let key_path = data.join("download.key");
        let key = match std::fs::read(&key_path) {
            Ok(k) if k.len() == 32 => k,
            Ok(_) => anyhow::bail!("{}: not a 32-byte key", key_path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let k = crate::app::random_bytes::<32>().to_vec();
                crate::auth::write_private(&key_path, &k)?;
                k
            }
            Err(e) => return Err(e).context(key_path.display().to_string()),
        };
        Ok(Self {
            dir,
            keys,
            download_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
        })
    }

    /// Whether any release key is trusted (no key: no upload is accepted).
    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Verify and store an image.
    pub fn add(&self, image: &[u8], by: &str, now: i64) -> Result<ImageInfo, Refused> {
        if self.keys.is_empty() {
            return Err(Refused::Image(
                "no release key is trusted: start the provisioner with --firmware-key".into(),
            ));
        }
        let header = tipring_firmware::Image::parse_header(image)
            .map_err(|e| Refused::Image(format!("not a Tipring image: {e}")))?;
        let m = &header.manifest;
        let mut verifier = tipring_firmware::Verifier::new(m.product.clone(), m.model.clone());
        for k in &self.keys {
            verifier = verifier.with_key(tipring_firmware::key_id_for(k), *k);
        }
        verifier
            .verify_image(image)
            .map_err(|e| Refused::Image(format!("refused: {e}")))?;
        let id = crate::app::sha256_hex_bytes(image);
        let info = ImageInfo {
            id: id.clone(),
            product: m.product.clone(),
            model: m.model.clone(),
            version: m.version.to_string(),
            min_version: m.min_version.as_ref().map(ToString::to_string),
            size: image.len() as u64,
            key_id: m.key_id.clone(),
            uploaded_at: now,
            uploaded_by: by.to_string(),
        };
        let tmp = self.dir.join(format!("{id}.img.tmp"));
        std::fs::write(&tmp, image)?;
        std::fs::rename(&tmp, self.dir.join(format!("{id}.img")))?;
        let meta = serde_json::to_vec_pretty(&info).map_err(std::io::Error::other)?;
        std::fs::write(self.dir.join(format!("{id}.json")), meta)?;
        Ok(info)
    }

    /// Every stored image, newest first.
    pub fn list(&self) -> Vec<ImageInfo> {
        let mut out: Vec<ImageInfo> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .filter_map(|b| serde_json::from_slice(&b).ok())
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a: &ImageInfo, b| b.uploaded_at.cmp(&a.uploaded_at).then(a.id.cmp(&b.id)));
        out
    }

    /// One image's record.
    pub fn get(&self, id: &str) -> Option<ImageInfo> {
        if !is_id(id) {
            return None;
        }
        let b = std::fs::read(self.dir.join(format!("{id}.json"))).ok()?;
        serde_json::from_slice(&b).ok()
    }

    /// Remove an image (false when there was none).
    pub fn remove(&self, id: &str) -> std::io::Result<bool> {
        if self.get(id).is_none() {
            return Ok(false);
        }
        std::fs::remove_file(self.dir.join(format!("{id}.json")))?;
        std::fs::remove_file(self.dir.join(format!("{id}.img")))?;
        Ok(true)
    }

    fn sign(&self, id: &str, device: &str, exp: i64) -> String {
        let tag = ring::hmac::sign(
            &self.download_key,
            format!("{id}\n{device}\n{exp}").as_bytes(),
        );
        tag.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The URL under `base` (`https://acs.example.net:7547`) from which `device` may fetch
    /// image `id` until `exp`.
    pub fn url(&self, base: &str, id: &str, device: &str, exp: i64) -> String {
        let dev: String = device
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!(
            "{}/firmware/{id}.img?device={dev}&exp={exp}&sig={}",
            base.trim_end_matches('/'),
            self.sign(id, device, exp)
        )
    }

    /// Answer `GET /firmware/...`: (status, headers, body).
    pub fn serve(
        &self,
        path_and_query: &str,
        range: Option<&str>,
        now: i64,
    ) -> (u16, Vec<(&'static str, String)>, Vec<u8>) {
        let deny = |why: &str| (403, Vec::new(), format!("{why}\n").into_bytes());
        let Some(rest) = path_and_query.strip_prefix("/firmware/") else {
            return (404, Vec::new(), Vec::new());
        };
        let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
        let Some(id) = file.strip_suffix(".img").filter(|i| is_id(i)) else {
            return (404, Vec::new(), Vec::new());
        };
        let q: Vec<(String, String)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(device), Some(exp), Some(sig)) = (get("device"), get("exp"), get("sig")) else {
            return deny("a download URL from the provisioner is needed");
        };
        let Ok(exp) = exp.parse::<i64>() else {
            return deny("bad expiry");
        };
        if !crate::digest::same(self.sign(id, device, exp).as_bytes(), sig.as_bytes()) {
            return deny("this URL is not signed by this provisioner");
        }
        if now > exp {
            return deny("this download URL has expired");
        }
        let Ok(bytes) = std::fs::read(self.dir.join(format!("{id}.img"))) else {
            return (404, Vec::new(), Vec::new());
        };
        let len = bytes.len() as u64;
        let mut headers = vec![
            ("Content-Type", "application/octet-stream".to_string()),
            ("Accept-Ranges", "bytes".to_string()),
        ];
        match range.map(|r| parse_range(r, len)) {
            None => (200, headers, bytes),
            Some(Some((a, b))) => {
                headers.push(("Content-Range", format!("bytes {a}-{b}/{len}")));
                (206, headers, bytes[a as usize..=b as usize].to_vec())
            }
            Some(None) => {
                headers.push(("Content-Range", format!("bytes */{len}")));
                (416, headers, Vec::new())
            }
        }
    }
}

/// `scheme://authority` of the ACS URL: where devices fetch images from (the ACS
/// listener serves `/firmware/`).
pub fn base_url(acs_url: &str) -> String {
    match acs_url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split('/').next().unwrap_or(rest);
            format!("{scheme}://{authority}")
        }
        None => acs_url.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One `bytes=` range of an entity of `len` bytes (RFC 9110 §14.1.2): inclusive (first,
/// last); None when unsatisfiable or malformed (several ranges are not served).
pub fn parse_range(header: &str, len: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (n > 0).then(|| (len.saturating_sub(n), len - 1))
        }
        (a, "") => {
            let a: u64 = a.parse().ok()?;
            (a < len).then_some((a, len - 1))
        }
        (a, b) => {
            let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
            (a <= b && a < len).then(|| (a, b.min(len - 1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_firmware::{sign_image, Manifest, SigningKey};

    fn image(key: &SigningKey, version: &str) -> Vec<u8> {
        let payload = vec![0x5a; 5000];
        let m = Manifest::for_payload(
            "tipring-gw",
            "FXS2",
            version.parse().unwrap(),
            tipring_firmware::key_id_for(&key.public_key()),
            "2026-11-26T12:00:00Z",
            &payload,
        );
        sign_image(&m, &payload, key).unwrap()
    }

    #[test]
    fn rfc9110_ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=95-200", 100), Some((95, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=9-0", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
        assert_eq!(parse_range("bytes=-0", 100), None);
    }

    #[test]
    fn only_trusted_images_are_kept_and_only_signed_urls_download_them() {
        let dir = std::env::temp_dir().join(format!("tipring-fw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let release = SigningKey::from_seed(&[3; 32]);
        let fw = Firmware::open(&dir, vec![release.public_key()]).unwrap();
        let other = SigningKey::from_seed(&[4; 32]);
        assert!(matches!(
            fw.add(&image(&other, "2.0.0"), "ops", 1),
            Err(Refused::Image(_))
        ));
        let mut bad = image(&release, "2.0.0");
        *bad.last_mut().unwrap() ^= 1;
        assert!(matches!(fw.add(&bad, "ops", 1), Err(Refused::Image(_))));
        assert!(matches!(fw.add(b"hello", "ops", 1), Err(Refused::Image(_))));
        let good = image(&release, "2.0.0");
        let info = fw.add(&good, "ops", 1).unwrap();
        assert_eq!(
            (info.version.as_str(), info.model.as_str()),
            ("2.0.0", "FXS2")
        );
        assert_eq!(fw.list(), std::slice::from_ref(&info));

        let url = fw.url("http://acs:7547", &info.id, "00D0C9-FXS2-S1", 1000);
        let path = url.strip_prefix("http://acs:7547").unwrap();
        let (s, _, body) = fw.serve(path, None, 999);
        assert_eq!((s, body.len()), (200, good.len()));
        assert_eq!(body, good);
        let (s, h, body) = fw.serve(path, Some("bytes=100-199"), 999);
        assert_eq!((s, body.as_slice()), (206, &good[100..200]));
        assert!(h.contains(&("Content-Range", format!("bytes 100-199/{}", good.len()))));
        let (s, _, _) = fw.serve(path, Some("bytes=999999-"), 999);
        assert_eq!(s, 416);
        // Expired, another device, a forged signature: refused.
        assert_eq!(fw.serve(path, None, 1001).0, 403);
        let other_dev = path.replace("S1", "S2");
        assert_eq!(fw.serve(&other_dev, None, 999).0, 403);
        // The last hex digit of the signature changed (to another digit, whatever it was).
        let last = if path.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &path[..path.len() - 1]);
        assert_eq!(fw.serve(&forged, None, 999).0, 403);
        assert_eq!(fw.serve("/firmware/../../etc/passwd", None, 999).0, 404);
        assert!(fw.remove(&info.id).unwrap());
        assert_eq!(fw.serve(path, None, 999).0, 404);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
