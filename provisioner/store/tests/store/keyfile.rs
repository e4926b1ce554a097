//! The sealer's key file: made once with mode 0600, then refused when it looks wrong.

use tipring_store::{Error, Sealer};

use crate::common::*;

fn key_error_naming(res: Result<Sealer, Error>, path: &std::path::Path) -> String {
    match res {
        Err(Error::Key(what)) => {
            assert!(what.contains(&path.display().to_string()), "{what}");
            what
        }
        other => panic!("expected Error::Key, got {other:?}"),
    }
}

#[test]
fn a_missing_key_file_is_created_and_the_same_key_is_loaded_again() {
    let dir = TempDir::new("key");
    let path = dir.join("secret.key");
    let first = Sealer::load_or_create(&path).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    let sealed = first.seal("dev", "ports.1.password", "hunter2");
    let second = Sealer::load_or_create(&path).unwrap();
    assert_eq!(
        second
            .open("dev", "ports.1.password", &sealed)
            .unwrap()
            .as_str(),
        "hunter2"
    );
    // A different key file makes a different key.
    let other = Sealer::load_or_create(&dir.join("other.key")).unwrap();
    assert!(matches!(
        other.open("dev", "ports.1.password", &sealed),
        Err(Error::Unseal)
    ));
}

#[test]
fn a_key_from_bytes_matches_the_same_bytes_in_a_file() {
    let dir = TempDir::new("keybytes");
    let path = dir.join("k");
    write_mode(&path, &[5; 32], 0o600);
    let sealed = Sealer::from_key(&[5; 32]).seal("d", "n", "x");
    assert_eq!(
        Sealer::load_or_create(&path)
            .unwrap()
            .open("d", "n", &sealed)
            .unwrap()
            .as_str(),
        "x"
    );
}

fn write_mode(path: &std::path::Path, bytes: &[u8], mode: u32) {
    std::fs::write(path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
}

#[test]
fn a_key_file_of_the_wrong_size_is_refused() {
    let dir = TempDir::new("keysize");
    for len in [0, 16, 31, 33, 64] {
        let path = dir.join(&format!("k{len}"));
        write_mode(&path, &vec![1; len], 0o600);
        let what = key_error_naming(Sealer::load_or_create(&path), &path);
        assert!(what.contains("32"), "{what}");
        // And left alone: never replaced by a new key.
        assert_eq!(std::fs::read(&path).unwrap().len(), len);
    }
}

#[cfg(unix)]
#[test]
fn a_key_file_that_group_or_others_may_read_is_refused() {
    let dir = TempDir::new("keymode");
    for mode in [0o640, 0o604, 0o660, 0o666, 0o620] {
        let path = dir.join(&format!("k{mode:o}"));
        write_mode(&path, &[1; 32], mode);
        let what = key_error_naming(Sealer::load_or_create(&path), &path);
        assert!(what.contains("chmod 600"), "{what}");
    }
    let path = dir.join("k400");
    write_mode(&path, &[1; 32], 0o400);
    Sealer::load_or_create(&path).unwrap();
}

#[test]
fn a_key_path_that_is_a_directory_or_cannot_be_made_is_refused() {
    let dir = TempDir::new("keydir");
    key_error_naming(Sealer::load_or_create(dir.path()), dir.path());
    let path = dir.join("no/such/dir/secret.key");
    key_error_naming(Sealer::load_or_create(&path), &path);
}
