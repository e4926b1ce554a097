//! `tipring-fw`: make signing keys, sign firmware images, inspect and verify them.
//!
//! ```text
//! tipring-fw keygen -o release.key                 # seed file (mode 0600); prints the public key hex
//! tipring-fw sign --key release.key --model TR-FXS4 --version 1.4.0 rootfs.bin -o fw-1.4.0.img
//! tipring-fw inspect fw-1.4.0.img                  # manifest, header, payload integrity (no key)
//! tipring-fw verify --pubkey <hex> --model TR-FXS4 fw-1.4.0.img   # what the device checks
//! ```
//!
//! `verify` exits with 1 and prints the TR-069 fault code the device would report when the
//! image is refused; 2 is a usage or file error.

use std::fs::File;
use std::io::{Read, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use ring::rand::{SecureRandom as _, SystemRandom};
use tipring_firmware::{
    hex, key_id_for, rfc3339_utc, sign_header, Error, Image, Manifest, PayloadCheck, SigningKey,
    Verifier, Version, MAX_HEADER_LEN,
};

#[derive(Parser, Debug)]
#[command(
    name = "tipring-fw",
    version,
    about = "Tipring firmware images: keys, signing, checks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make an Ed25519 signing key: writes the 32-byte seed as hex (mode 0600) and prints
    /// the public key as hex on stdout (its default key id on stderr).
    Keygen {
        /// Where to write the seed.
        #[arg(short, long)]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Sign a payload into an image.
    Sign {
        /// Signing key: a seed file from `keygen` (hex), a raw 32-byte seed, or PKCS#8
        /// (PEM or DER, e.g. from `openssl genpkey -algorithm ed25519`).
        #[arg(long)]
        key: PathBuf,
        /// Hardware model the image is for.
        #[arg(long)]
        model: String,
        /// Product family.
        #[arg(long, default_value = "tipring")]
        product: String,
        /// Firmware version (dot-separated numbers, optional -pre and +build).
        #[arg(long)]
        version: String,
        /// Rollback floor: once this image runs, images below this version are refused.
        #[arg(long)]
        min_version: Option<String>,
        /// Key id written into the manifest (default: `ed25519:` + 16 hex digits of the
        /// public key's SHA-256).
        #[arg(long)]
        key_id: Option<String>,
        /// Build time, RFC 3339 (default: now, UTC).
        #[arg(long)]
        created: Option<String>,
        /// The payload file.
        payload: PathBuf,
        /// Where to write the image.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Show an image's manifest and check its payload against it (integrity only: the
    /// signature is not checked without a key; use `verify`).
    Inspect {
        /// The image file.
        image: PathBuf,
    },
    /// Check an image the way a device does: trusted key, signature, model, floor, payload.
    Verify {
        /// Trusted Ed25519 public key, 64 hex digits.
        #[arg(long)]
        pubkey: String,
        /// Its key id (default: derived from the key, as `sign` does).
        #[arg(long)]
        key_id: Option<String>,
        /// This device's model.
        #[arg(long)]
        model: String,
        /// This device's product family.
        #[arg(long, default_value = "tipring")]
        product: String,
        /// Rollback floor (the running image's min_version).
        #[arg(long)]
        floor: Option<String>,
        /// The image file.
        image: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen { out, force } => keygen(&out, force),
        Command::Sign {
            key,
            model,
            product,
            version,
            min_version,
            key_id,
            created,
            payload,
            out,
        } => sign(SignArgs {
            key: &key,
            model,
            product,
            version: &version,
            min_version: min_version.as_deref(),
            key_id,
            created,
            payload: &payload,
            out: &out,
        }),
        Command::Inspect { image } => inspect(&image),
        Command::Verify {
            pubkey,
            key_id,
            model,
            product,
            floor,
            image,
        } => verify(&pubkey, key_id, model, product, floor.as_deref(), &image),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tipring-fw: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn keygen(out: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let mut seed = [0u8; 32];
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    let key = SigningKey::from_seed(&seed);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).mode(0o600);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut f = opts
        .open(out)
        .with_context(|| format!("create {}", out.display()))?;
    f.write_all(format!("{}\n", hex::encode(&seed)).as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("write {}", out.display()))?;
    println!("{}", hex::encode(&key.public_key()));
    eprintln!("key id: {}", key.key_id());
    Ok(ExitCode::SUCCESS)
}

struct SignArgs<'a> {
    key: &'a Path,
    model: String,
    product: String,
    version: &'a str,
    min_version: Option<&'a str>,
    key_id: Option<String>,
    created: Option<String>,
    payload: &'a Path,
    out: &'a Path,
}

/// Seconds since the Unix epoch: the tool is a binary, where the clock is read.
#[allow(clippy::disallowed_methods)]
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn parse_version(what: &str, v: &str) -> anyhow::Result<Version> {
    v.parse::<Version>()
        .map_err(|e| anyhow::anyhow!("--{what}: {e}"))
}

fn sign(a: SignArgs<'_>) -> anyhow::Result<ExitCode> {
    let key_bytes = std::fs::read(a.key).with_context(|| format!("read {}", a.key.display()))?;
    let key = SigningKey::from_key_file(&key_bytes)
        .with_context(|| format!("key {}", a.key.display()))?;
    let payload =
        std::fs::read(a.payload).with_context(|| format!("read {}", a.payload.display()))?;
    let mut manifest = Manifest::for_payload(
        a.product,
        a.model,
        parse_version("version", a.version)?,
        a.key_id.unwrap_or_else(|| key.key_id()),
        a.created.unwrap_or_else(|| rfc3339_utc(now_unix())),
        &payload,
    );
    manifest.min_version = a
        .min_version
        .map(|v| parse_version("min-version", v))
        .transpose()?;
    let header = sign_header(&manifest, &key)?;
    let mut f = File::create(a.out).with_context(|| format!("create {}", a.out.display()))?;
    f.write_all(&header)
        .and_then(|()| f.write_all(&payload))
        .and_then(|()| f.sync_all())
        .with_context(|| format!("write {}", a.out.display()))?;
    println!(
        "signed {} {} {} with key {} ({} bytes, payload sha256 {})",
        manifest.target(),
        manifest.version,
        a.out.display(),
        manifest.key_id,
        header.len() + payload.len(),
        manifest.payload_sha256
    );
    Ok(ExitCode::SUCCESS)
}

/// The image's first bytes (up to the largest header) and the open file positioned after
/// them.
fn read_head(path: &Path) -> anyhow::Result<(Vec<u8>, File)> {
    let f = File::open(path).with_context(|| format!("open {}", path.display()))?;
    let mut head = Vec::new();
    let mut limited = f.take(MAX_HEADER_LEN as u64);
    limited
        .read_to_end(&mut head)
        .with_context(|| format!("read {}", path.display()))?;
    Ok((head, limited.into_inner()))
}

/// Stream the payload (what `head` holds after the header, then the rest of `file`)
/// through `check`.
fn check_payload(
    mut check: PayloadCheck,
    head_payload: &[u8],
    file: &mut File,
    path: &Path,
) -> anyhow::Result<tipring_firmware::Result<tipring_firmware::PayloadSummary>> {
    if let Err(e) = check.update(head_payload) {
        return Ok(Err(e));
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("read {}", path.display()))?;
        if n == 0 {
            return Ok(check.finish());
        }
        if let Err(e) = check.update(&buf[..n]) {
            return Ok(Err(e));
        }
    }
}

fn refused(e: &Error) -> ExitCode {
    println!("REFUSED (TR-069 fault {}): {e}", e.fault_code());
    ExitCode::from(1)
}

fn inspect(path: &Path) -> anyhow::Result<ExitCode> {
    let (head, mut file) = read_head(path)?;
    let header = match Image::parse_header(&head) {
        Ok(h) => h,
        Err(e) => return Ok(refused(&e)),
    };
    let pretty: serde_json::Value = serde_json::from_slice(&header.manifest_bytes)?;
    println!("{}", serde_json::to_string_pretty(&pretty)?);
    println!("header: {} bytes", header.len);
    println!(
        "signature: {:?} {}",
        header.signature.algorithm,
        hex::encode(&header.signature.signature)
    );
    println!("signature not checked (inspect has no key; use `tipring-fw verify`)");
    let check = PayloadCheck::new(&header.manifest);
    match check_payload(check, &head[header.len..], &mut file, path)? {
        Ok(s) => {
            println!(
                "payload: {} bytes, sha256 {} as announced",
                s.size, s.sha256
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(refused(&e)),
    }
}

fn verify(
    pubkey: &str,
    key_id: Option<String>,
    model: String,
    product: String,
    floor: Option<&str>,
    path: &Path,
) -> anyhow::Result<ExitCode> {
    let Some(pk) = hex::decode_array::<32>(pubkey.trim()) else {
        bail!("--pubkey: expected 64 hex digits");
    };
    let mut verifier =
        Verifier::new(product, model).with_key(key_id.unwrap_or_else(|| key_id_for(&pk)), pk);
    verifier.floor = floor.map(|f| parse_version("floor", f)).transpose()?;
    let (head, mut file) = read_head(path)?;
    let verified = match verifier.verify_header(&head) {
        Ok(v) => v,
        Err(e) => return Ok(refused(&e)),
    };
    let check = verified.payload_check();
    match check_payload(check, &head[verified.header_len()..], &mut file, path)? {
        Ok(s) => {
            let m = verified.manifest();
            println!(
                "OK: {} {} signed by {}, payload {} bytes sha256 {}",
                m.target(),
                m.version,
                m.key_id,
                s.size,
                s.sha256
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(refused(&e)),
    }
}
