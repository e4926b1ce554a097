//! The `tipring-fw` tool end to end, and interop of its signatures with OpenSSL's
//! independent Ed25519 (RFC 8032) implementation.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use tipring_firmware::{hex, Image};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tipring-fw-cli-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tipring-fw"))
        .args(args)
        .output()
        .expect("run tipring-fw")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn payload() -> Vec<u8> {
    (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn keygen_sign_inspect_verify() {
    let t = TempDir::new("flow");
    let key = t.path("release.key");
    let out = fw(&["keygen", "-o", s(&key)]);
    assert!(out.status.success(), "{}", text(&out));
    let pubkey = String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(pubkey.len(), 64);
    assert!(hex::decode(&pubkey).is_some());
    assert!(String::from_utf8_lossy(&out.stderr).contains("key id: ed25519:"));
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Never overwrites a key by accident.
    let again = fw(&["keygen", "-o", s(&key)]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    let out = fw(&["keygen", "-o", s(&key), "--force"]);
    assert!(out.status.success(), "{}", text(&out));
    let replaced = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_ne!(replaced, pubkey);
    let pubkey = replaced;
    // The file holds the seed of the printed public key.
    let k = tipring_firmware::SigningKey::from_key_file(&std::fs::read(&key).unwrap()).unwrap();
    assert_eq!(hex::encode(&k.public_key()), pubkey);

    let p = t.path("rootfs.bin");
    std::fs::write(&p, payload()).unwrap();
    let img = t.path("fw.img");
    let out = fw(&[
        "sign",
        "--key",
        s(&key),
        "--model",
        "TR-FXS4",
        "--version",
        "1.4.0",
        "--min-version",
        "1.2.0",
        s(&p),
        "-o",
        s(&img),
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let out = fw(&["inspect", s(&img)]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    for want in [
        "\"model\": \"TR-FXS4\"",
        "\"version\": \"1.4.0\"",
        "\"min_version\": \"1.2.0\"",
        "\"payload_size\": 200000",
        "\"created\": \"20",
        "signature not checked",
        "as announced",
    ] {
        assert!(shown.contains(want), "{want}: {shown}");
    }

    let verify = |extra: &[&str], image: &Path| {
        let mut args = vec!["verify", "--pubkey", &pubkey, "--model", "TR-FXS4"];
        args.extend_from_slice(extra);
        args.push(s(image));
        fw(&args)
    };
    let out = verify(&[], &img);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).starts_with("OK: tipring/TR-FXS4 1.4.0"));

    // Refusals: exit 1 with the TR-069 fault the device would report.
    let refused = |out: Output, code: u32| {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains(&format!("REFUSED (TR-069 fault {code})")),
            "{}",
            text(&out)
        );
    };
    refused(
        fw(&["verify", "--pubkey", &pubkey, "--model", "TR-FXS2", s(&img)]),
        9010,
    );
    refused(verify(&["--floor", "1.5"], &img), 9010);
    refused(verify(&["--key-id", "someone-else"], &img), 9019);
    let other = hex::encode(&[7u8; 32]);
    refused(
        fw(&["verify", "--pubkey", &other, "--model", "TR-FXS4", s(&img)]),
        9019,
    );
    let bytes = std::fs::read(&img).unwrap();
    let mut bad = bytes.clone();
    *bad.last_mut().unwrap() ^= 1;
    let bad_img = t.path("bad.img");
    std::fs::write(&bad_img, &bad).unwrap();
    refused(verify(&[], &bad_img), 9018);
    refused(fw(&["inspect", s(&bad_img)]), 9018);
    std::fs::write(&bad_img, &bytes[..bytes.len() / 2]).unwrap();
    refused(verify(&[], &bad_img), 9018);
    std::fs::write(&bad_img, &bytes[..100]).unwrap();
    refused(verify(&[], &bad_img), 9018);
    std::fs::write(&bad_img, b"PK\x03\x04 a zip file").unwrap();
    refused(fw(&["inspect", s(&bad_img)]), 9018);

    // Usage errors are exit 2.
    let o = fw(&["verify", "--pubkey", "xyz", "--model", "M", s(&img)]);
    assert_eq!(o.status.code(), Some(2));
    let o = fw(&[
        "sign",
        "--key",
        s(&key),
        "--model",
        "M",
        "--version",
        "v1",
        s(&p),
        "-o",
        s(&img),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--version"), "{}", text(&o));
}

fn openssl(args: &[&str]) -> Output {
    match Command::new("openssl").args(args).output() {
        Ok(o) => o,
        Err(e) => {
            panic!("openssl is needed for the Ed25519 interop test ({e}): apt-get install openssl")
        }
    }
}

/// OpenSSL (an independent RFC 8032 implementation) and tipring-fw agree: a key made by
/// `openssl genpkey -algorithm ed25519` (PKCS#8 PEM) signs with tipring-fw; OpenSSL
/// verifies the signature over the image's manifest bytes and, Ed25519 being deterministic
/// (RFC 8032 §5.1.6), produces the very same signature.
#[test]
fn openssl_interop() {
    let t = TempDir::new("openssl");
    let pem = t.path("k.pem");
    let o = openssl(&["genpkey", "-algorithm", "ed25519", "-out", s(&pem)]);
    assert!(o.status.success(), "{}", text(&o));
    let pub_der = t.path("pub.der");
    let o = openssl(&[
        "pkey",
        "-in",
        s(&pem),
        "-pubout",
        "-outform",
        "DER",
        "-out",
        s(&pub_der),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // SubjectPublicKeyInfo (RFC 8410 §4): a 12-byte prefix, then the raw 32-byte key.
    let der = std::fs::read(&pub_der).unwrap();
    assert_eq!(der.len(), 44);
    let pubkey = hex::encode(&der[12..]);

    let p = t.path("payload");
    std::fs::write(&p, payload()).unwrap();
    let img = t.path("fw.img");
    let o = fw(&[
        "sign",
        "--key",
        s(&pem),
        "--model",
        "TR-FXS4",
        "--version",
        "2.0.0",
        "--created",
        "2025-06-01T12:00:00Z",
        s(&p),
        "-o",
        s(&img),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = fw(&["verify", "--pubkey", &pubkey, "--model", "TR-FXS4", s(&img)]);
    assert!(o.status.success(), "{}", text(&o));

    let image = std::fs::read(&img).unwrap();
    let header = Image::parse_header(&image).unwrap();
    let (manifest, sig) = (t.path("manifest.json"), t.path("sig"));
    std::fs::write(&manifest, &header.manifest_bytes).unwrap();
    std::fs::write(&sig, header.signature.signature).unwrap();
    let pub_pem = t.path("pub.pem");
    assert!(
        openssl(&["pkey", "-in", s(&pem), "-pubout", "-out", s(&pub_pem)])
            .status
            .success()
    );
    let o = openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        s(&pub_pem),
        "-rawin",
        "-in",
        s(&manifest),
        "-sigfile",
        s(&sig),
    ]);
    assert!(
        o.status.success() && text(&o).contains("Signature Verified Successfully"),
        "{}",
        text(&o)
    );
    let theirs = t.path("sig.openssl");
    let o = openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        s(&pem),
        "-rawin",
        "-in",
        s(&manifest),
        "-out",
        s(&theirs),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&theirs).unwrap(), header.signature.signature);
    // And OpenSSL refuses the signature over a changed manifest.
    let mut changed = header.manifest_bytes.clone();
    changed[20] ^= 1;
    std::fs::write(&manifest, &changed).unwrap();
    let o = openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        s(&pub_pem),
        "-rawin",
        "-in",
        s(&manifest),
        "-sigfile",
        s(&sig),
    ]);
    assert!(!o.status.success(), "{}", text(&o));
}
