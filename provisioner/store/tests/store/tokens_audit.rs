//! API tokens and the audit log.

use tipring_acs::model::Role;
use tipring_store::{ApiToken, AuditFilter, Error, Write};

use crate::common::*;

fn token(name: &str, role: Role, hash: &str) -> ApiToken {
    ApiToken {
        name: name.into(),
        role,
        token_sha256: hash.into(),
        created_at: T0,
        revoked_at: None,
    }
}

#[test]
fn tokens_are_found_by_hash_listed_by_name_and_revoked_by_replacing() {
    for s in backends() {
        s.apply(vec![
            Write::PutToken(token("ops", Role::Operator, "h-ops")),
            Write::PutToken(token("admin", Role::Admin, "h-admin")),
            Write::PutToken(token("ro", Role::ReadOnly, "h-ro")),
        ])
        .unwrap();
        assert_eq!(
            s.token_by_hash("h-ops").unwrap(),
            Some(token("ops", Role::Operator, "h-ops"))
        );
        assert_eq!(s.token_by_hash("h-nope").unwrap(), None);
        let names: Vec<String> = s.tokens().unwrap().into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["admin", "ops", "ro"]);

        let revoked = ApiToken {
            revoked_at: Some(T0 + 5),
            ..token("ops", Role::Operator, "h-ops")
        };
        s.apply(vec![Write::PutToken(revoked.clone())]).unwrap();
        // Revoked tokens are still found: the caller checks.
        assert_eq!(s.token_by_hash("h-ops").unwrap(), Some(revoked));
        // Rotating a token's value: the old hash no longer finds it.
        s.apply(vec![Write::PutToken(token("ro", Role::ReadOnly, "h-ro-2"))])
            .unwrap();
        assert_eq!(s.token_by_hash("h-ro").unwrap(), None);
        assert_eq!(s.token_by_hash("h-ro-2").unwrap().unwrap().name, "ro");
    }
}

#[test]
fn a_token_with_another_tokens_value_is_a_conflict_and_changes_nothing() {
    for s in backends() {
        s.apply(vec![Write::PutToken(token("admin", Role::Admin, "h1"))])
            .unwrap();
        match s.apply(vec![
            Write::Audit(audit("admin", "token.create", "evil", T0)),
            Write::PutToken(token("evil", Role::Admin, "h1")),
        ]) {
            Err(Error::Conflict(what)) => {
                assert!(what.contains("admin"), "{what}");
                assert!(
                    !what.contains("h1"),
                    "names the token, not its hash: {what}"
                );
            }
            other => panic!("expected Conflict, got {other:?}"),
        }
        assert_eq!(s.tokens().unwrap().len(), 1);
        assert_eq!(s.token_by_hash("h1").unwrap().unwrap().name, "admin");
        assert!(s.audit(&AuditFilter::default()).unwrap().is_empty());
    }
}

#[test]
fn the_audit_log_is_newest_first_and_filters_by_actor_target_action_and_time() {
    for s in backends() {
        let entries = [
            audit("admin", "device.approve", "dev-1", T0),
            audit("ops", "task.queue", "dev-1", T0 + 10),
            audit("admin", "secret.reveal", "dev-2", T0 + 20),
            audit("device:dev-1", "session.inform", "dev-1", T0 + 30),
            audit("admin", "task.queue", "dev-2", T0 + 40),
        ];
        let ids = s
            .apply(entries.iter().cloned().map(Write::Audit).collect())
            .unwrap();
        let all = s.audit(&AuditFilter::default()).unwrap();
        assert_eq!(all.len(), 5);
        for (got, (want, id)) in all.iter().rev().zip(entries.iter().zip(&ids)) {
            assert_eq!(
                got,
                &tipring_acs::model::AuditEntry {
                    id: *id,
                    ..want.clone()
                }
            );
        }
        let ats = |f: AuditFilter| -> Vec<i64> {
            s.audit(&f).unwrap().iter().map(|e| e.at - T0).collect()
        };
        assert_eq!(
            ats(AuditFilter {
                actor: Some("admin".into()),
                ..AuditFilter::default()
            }),
            [40, 20, 0]
        );
        assert_eq!(
            ats(AuditFilter {
                target: Some("dev-1".into()),
                ..AuditFilter::default()
            }),
            [30, 10, 0]
        );
        assert_eq!(
            ats(AuditFilter {
                action: Some("task.queue".into()),
                ..AuditFilter::default()
            }),
            [40, 10]
        );
        assert_eq!(
            ats(AuditFilter {
                since: Some(T0 + 20),
                ..AuditFilter::default()
            }),
            [40, 30, 20]
        );
        assert_eq!(
            ats(AuditFilter {
                actor: Some("admin".into()),
                target: Some("dev-2".into()),
                since: Some(T0 + 30),
                ..AuditFilter::default()
            }),
            [40]
        );
        assert_eq!(
            ats(AuditFilter {
                limit: 2,
                ..AuditFilter::default()
            }),
            [40, 30]
        );
        // Wildcards are not wildcards here: the filters are exact.
        assert!(ats(AuditFilter {
            actor: Some("adm%".into()),
            ..AuditFilter::default()
        })
        .is_empty());
    }
}

#[test]
fn the_audit_listing_defaults_to_100_and_caps_at_1000() {
    for s in backends() {
        let writes = (0..1001)
            .map(|i| Write::Audit(audit("a", "x", "t", T0 + i)))
            .collect();
        assert_eq!(s.apply(writes).unwrap().len(), 1001);
        let n = |limit| {
            s.audit(&AuditFilter {
                limit,
                ..AuditFilter::default()
            })
            .unwrap()
            .len()
        };
        assert_eq!(n(0), 100);
        assert_eq!(n(u32::MAX), 1000);
    }
}
