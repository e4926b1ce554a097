//! Sealed secrets in the store, opened with the sealer.

use tipring_store::{Error, Sealer, Write};

use crate::common::*;

#[test]
fn secrets_are_stored_sealed_listed_by_name_and_replaced() {
    for s in backends() {
        let sealer = Sealer::from_key(&[3; 32]);
        let d = device("S1");
        let e = device("S2");
        let put = |dev: &str, name: &str, value: &str| Write::PutSecret {
            device: dev.into(),
            name: name.into(),
            sealed: sealer.seal(dev, name, value),
        };
        s.apply(vec![
            Write::PutDevice(d.clone()),
            Write::PutDevice(e.clone()),
            put(&d.id, "ports.2.password", "two"),
            put(&d.id, "ports.1.password", "one"),
            put(&d.id, "acs_password", "acs"),
            put(&e.id, "ports.1.password", "other"),
        ])
        .unwrap();
        assert_eq!(
            s.secret_names(&d.id).unwrap(),
            ["acs_password", "ports.1.password", "ports.2.password"]
        );
        let open = |dev: &str, name: &str| {
            let sealed = s.secret(dev, name).unwrap().expect("stored");
            sealer.open(dev, name, &sealed).map(|p| p.to_string())
        };
        assert_eq!(open(&d.id, "ports.1.password").unwrap(), "one");
        assert_eq!(open(&e.id, "ports.1.password").unwrap(), "other");
        // The database holds no plaintext.
        let raw = s.secret(&d.id, "ports.2.password").unwrap().unwrap();
        assert!(!raw.windows(3).any(|w| w == b"two"));
        assert_eq!(s.secret(&d.id, "nope").unwrap(), None);
        assert!(s.secret_names("ghost").unwrap().is_empty());

        s.apply(vec![put(&d.id, "ports.1.password", "uno")])
            .unwrap();
        assert_eq!(open(&d.id, "ports.1.password").unwrap(), "uno");
        assert_eq!(s.secret_names(&d.id).unwrap().len(), 3);

        // Copying one device's sealed value into another's row does not give it away.
        let stolen = s.secret(&d.id, "ports.1.password").unwrap().unwrap();
        s.apply(vec![Write::PutSecret {
            device: e.id.clone(),
            name: "ports.1.password".into(),
            sealed: stolen,
        }])
        .unwrap();
        assert!(matches!(
            open(&e.id, "ports.1.password"),
            Err(Error::Unseal)
        ));
    }
}

#[test]
fn a_secret_of_an_unknown_device_is_refused() {
    for s in backends() {
        match s.apply(vec![Write::PutSecret {
            device: "ghost".into(),
            name: "acs_password".into(),
            sealed: vec![1],
        }]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "device ghost"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}
