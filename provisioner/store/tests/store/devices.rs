//! Devices: put, get, replace, delete (with what goes with them), and the listing filters.

use tipring_acs::model::{Enrollment, TaskKind};
use tipring_store::{DeviceFilter, DeviceSort, Error, Presence, Store, Write, MAX_LIMIT};

use crate::common::*;

#[test]
fn a_device_round_trips_every_field() {
    for s in backends() {
        let d = full_device("S1");
        s.apply(vec![Write::PutDevice(d.clone())]).unwrap();
        assert_eq!(s.device(&d.id).unwrap(), Some(d.clone()));
        // A pending device with every optional field empty too.
        let bare = device("S2");
        s.apply(vec![Write::PutDevice(bare.clone())]).unwrap();
        assert_eq!(s.device(&bare.id).unwrap(), Some(bare));
        assert_eq!(s.device("no-such-device").unwrap(), None);
    }
}

#[test]
fn replacing_a_device_updates_it_in_place_and_keeps_its_parameters_tasks_and_secrets() {
    for s in backends() {
        let mut d = device("S1");
        let ids = s
            .apply(vec![
                Write::PutDevice(d.clone()),
                Write::PutParameters {
                    device: d.id.clone(),
                    parameters: vec![param("Device.DeviceInfo.SerialNumber", "S1")],
                },
                Write::PutTask(task(&d.id, TaskKind::Reboot)),
                Write::PutSecret {
                    device: d.id.clone(),
                    name: "acs_password".into(),
                    sealed: vec![1, 2, 3],
                },
            ])
            .unwrap();
        d.enrollment = Enrollment::Approved;
        d.software_version = "2.0".into();
        s.apply(vec![Write::PutDevice(d.clone())]).unwrap();
        assert_eq!(s.device(&d.id).unwrap(), Some(d.clone()));
        assert_eq!(s.parameters(&d.id, "").unwrap().len(), 1);
        assert!(s.task(ids[0]).unwrap().is_some());
        assert_eq!(s.secret_names(&d.id).unwrap(), vec!["acs_password"]);
    }
}

#[test]
fn a_device_in_a_site_that_does_not_exist_is_refused() {
    for s in backends() {
        let mut d = device("S1");
        d.site = Some("nowhere".into());
        match s.apply(vec![Write::PutDevice(d.clone())]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "site nowhere"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert_eq!(s.device(&d.id).unwrap(), None);
        // With the site made first in the same batch, it goes in.
        s.apply(vec![
            Write::PutSite(site("nowhere")),
            Write::PutDevice(d.clone()),
        ])
        .unwrap();
        assert_eq!(s.device(&d.id).unwrap(), Some(d));
    }
}

#[test]
fn deleting_a_device_deletes_its_parameters_tasks_and_secrets_but_not_others() {
    for s in backends() {
        let a = device("A");
        let b = device("B");
        let mut writes = Vec::new();
        for d in [&a, &b] {
            writes.push(Write::PutDevice(d.clone()));
            writes.push(Write::PutParameters {
                device: d.id.clone(),
                parameters: vec![param("Device.X", "1"), param("Device.Y", "2")],
            });
            writes.push(Write::PutTask(task(&d.id, TaskKind::Reboot)));
            writes.push(Write::PutSecret {
                device: d.id.clone(),
                name: "ports.1.password".into(),
                sealed: vec![9; 40],
            });
        }
        writes.push(Write::PutClaim(claim("code", None, T0)));
        writes.push(Write::ConsumeClaim {
            code_sha256: "code".into(),
            device: a.id.clone(),
        });
        let ids = s.apply(writes).unwrap();
        assert_eq!(ids.len(), 2);

        s.apply(vec![Write::DeleteDevice(a.id.clone())]).unwrap();
        assert_eq!(s.device(&a.id).unwrap(), None);
        assert!(s.parameters(&a.id, "").unwrap().is_empty());
        assert_eq!(s.task(ids[0]).unwrap(), None);
        assert!(s.due_tasks(&a.id, T0).unwrap().is_empty());
        assert_eq!(s.secret(&a.id, "ports.1.password").unwrap(), None);
        assert!(s.secret_names(&a.id).unwrap().is_empty());
        // The claim keeps the record of who used it.
        assert_eq!(
            s.claim("code").unwrap().unwrap().used_by,
            Some(a.id.clone())
        );
        // B is untouched.
        assert!(s.device(&b.id).unwrap().is_some());
        assert_eq!(s.parameters(&b.id, "").unwrap().len(), 2);
        assert!(s.task(ids[1]).unwrap().is_some());
        assert!(s.secret(&b.id, "ports.1.password").unwrap().is_some());

        match s.apply(vec![Write::DeleteDevice(a.id.clone())]) {
            Err(Error::NotFound(what)) => assert_eq!(what, format!("device {}", a.id)),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

fn ids(devices: &[tipring_acs::model::Device]) -> Vec<String> {
    devices.iter().map(|d| d.key.serial.clone()).collect()
}

/// A small fleet to filter: serials chosen so the id text filter meets `%` and `_`.
fn fleet(s: Box<dyn Store>) -> Box<dyn Store> {
    let mut w = vec![Write::PutSite(site("hq")), Write::PutSite(site("branch"))];
    /// serial, site, tags, enrollment, model, software version, open faults
    type Spec<'a> = (
        &'a str,
        Option<&'a str>,
        &'a [&'a str],
        Enrollment,
        &'a str,
        &'a str,
        u32,
    );
    let spec: [Spec<'_>; 6] = [
        (
            "A1",
            Some("hq"),
            &["lobby"],
            Enrollment::Approved,
            "TR-4",
            "1.0",
            0,
        ),
        (
            "A2",
            Some("hq"),
            &["lobby", "vip"],
            Enrollment::Approved,
            "TR-8",
            "1.1",
            1,
        ),
        (
            "B1",
            Some("branch"),
            &[],
            Enrollment::Pending,
            "TR-4",
            "1.0",
            0,
        ),
        (
            "B_2",
            Some("branch"),
            &["vip"],
            Enrollment::Rejected,
            "TR-4",
            "1.1",
            3,
        ),
        (
            "C-1",
            None,
            &["lobbyist"],
            Enrollment::Pending,
            "X",
            "1.0",
            0,
        ),
        ("C1", None, &[], Enrollment::Approved, "X", "1.0", 0),
    ];
    for (serial, site, tags, enrollment, model, sw, faults) in spec {
        let mut d = device(serial);
        d.site = site.map(Into::into);
        d.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        d.enrollment = enrollment;
        d.model = model.into();
        d.software_version = sw.into();
        d.open_faults = faults;
        w.push(Write::PutDevice(d));
    }
    s.apply(w).unwrap();
    s
}

#[test]
fn each_filter_narrows_and_they_combine() {
    for s in backends() {
        let s = fleet(s);
        let all = DeviceFilter::default();
        // Ordered by id: "00D09E-FXS4-A1", ... ("C-1" is escaped to "C%2D1").
        assert_eq!(
            ids(&s.devices(&all).unwrap()),
            ["A1", "A2", "B1", "B_2", "C-1", "C1"]
        );
        assert_eq!(s.count_devices(&all).unwrap(), 6);

        let cases: Vec<(DeviceFilter, Vec<&str>)> = vec![
            (
                DeviceFilter {
                    site: Some("hq".into()),
                    ..all.clone()
                },
                vec!["A1", "A2"],
            ),
            (
                // a whole tag, not a substring of one ("lobbyist")
                DeviceFilter {
                    tag: Some("lobby".into()),
                    ..all.clone()
                },
                vec!["A1", "A2"],
            ),
            (
                DeviceFilter {
                    enrollment: Some(Enrollment::Pending),
                    ..all.clone()
                },
                vec!["B1", "C-1"],
            ),
            (
                DeviceFilter {
                    model: Some("TR-4".into()),
                    ..all.clone()
                },
                vec!["A1", "B1", "B_2"],
            ),
            (
                DeviceFilter {
                    software_version: Some("1.1".into()),
                    ..all.clone()
                },
                vec!["A2", "B_2"],
            ),
            (
                DeviceFilter {
                    faulted: true,
                    ..all.clone()
                },
                vec!["A2", "B_2"],
            ),
            (
                DeviceFilter {
                    site: Some("branch".into()),
                    tag: Some("vip".into()),
                    software_version: Some("1.1".into()),
                    ..all.clone()
                },
                vec!["B_2"],
            ),
            (
                DeviceFilter {
                    site: Some("nowhere".into()),
                    ..all.clone()
                },
                vec![],
            ),
        ];
        for (filter, want) in cases {
            assert_eq!(ids(&s.devices(&filter).unwrap()), want, "{filter:?}");
            assert_eq!(s.count_devices(&filter).unwrap(), want.len() as u64);
        }
    }
}

/// `%` and `_` in the text filter match only themselves (they are LIKE wildcards).
#[test]
fn the_text_filter_is_a_substring_match_with_wildcards_escaped() {
    for s in backends() {
        let s = fleet(s);
        let text = |t: &str| DeviceFilter {
            text: Some(t.into()),
            ..DeviceFilter::default()
        };
        assert_eq!(ids(&s.devices(&text("_")).unwrap()), ["B_2"]);
        assert_eq!(ids(&s.devices(&text("%")).unwrap()), ["C-1"]);
        assert_eq!(ids(&s.devices(&text("%2D")).unwrap()), ["C-1"]);
        assert_eq!(ids(&s.devices(&text("fxs4-a")).unwrap()), ["A1", "A2"]);
        assert_eq!(ids(&s.devices(&text("B%2")).unwrap()), Vec::<String>::new());
        assert_eq!(ids(&s.devices(&text("\\")).unwrap()), Vec::<String>::new());
        assert_eq!(s.count_devices(&text("C")).unwrap(), 2);
    }
}

#[test]
fn limit_and_offset_page_through_in_id_order_and_count_ignores_them() {
    for s in backends() {
        let s = fleet(s);
        let page = |limit, offset| DeviceFilter {
            limit,
            offset,
            ..DeviceFilter::default()
        };
        assert_eq!(ids(&s.devices(&page(2, 0)).unwrap()), ["A1", "A2"]);
        assert_eq!(ids(&s.devices(&page(2, 2)).unwrap()), ["B1", "B_2"]);
        assert_eq!(ids(&s.devices(&page(2, 4)).unwrap()), ["C-1", "C1"]);
        assert!(s.devices(&page(2, 6)).unwrap().is_empty());
        assert_eq!(s.count_devices(&page(2, 4)).unwrap(), 6);
    }
}

#[test]
fn listings_default_to_100_and_are_capped_at_1000() {
    for s in backends() {
        let writes = (0..MAX_LIMIT + 5)
            .map(|i| Write::PutDevice(device(&format!("N{i:05}"))))
            .collect();
        s.apply(writes).unwrap();
        let with_limit = |limit| DeviceFilter {
            limit,
            ..DeviceFilter::default()
        };
        assert_eq!(s.devices(&with_limit(0)).unwrap().len(), 100);
        assert_eq!(s.devices(&with_limit(7)).unwrap().len(), 7);
        assert_eq!(
            s.devices(&with_limit(u32::MAX)).unwrap().len(),
            MAX_LIMIT as usize
        );
        assert_eq!(
            s.count_devices(&with_limit(1)).unwrap(),
            u64::from(MAX_LIMIT + 5)
        );
    }
}

/// The console's filters: serial prefix (exact, an index range), online/offline by each
/// device's own inform interval (else the default), a line down.
#[test]
fn serial_prefix_presence_and_lines_filters() {
    const NOW: i64 = 1_000_000;
    for s in backends() {
        let mut w = Vec::new();
        // serial, last inform (seconds ago), own interval, lines, lines up
        for (serial, ago, iv, lines, up) in [
            ("GW10", Some(100), None, 2, 2),        // default 3600: online
            ("GW11", Some(3600 + 391), None, 2, 1), // 3600 + 360 + 30 is the limit: offline
            ("GW2", Some(3600 + 380), None, 0, 0),  // just within: online
            ("GX1", Some(400), Some(300), 4, 4),    // its own 300 s: 300 + 30 + 30 < 400
            ("gw12", None, None, 1, 0),             // never seen: offline
        ] {
            let mut d = device(serial);
            d.last_inform = ago.map(|a| NOW - a);
            d.inform_interval_s = iv;
            d.lines = lines;
            d.lines_up = up;
            w.push(Write::PutDevice(d));
        }
        s.apply(w).unwrap();
        let q = |f: DeviceFilter| {
            let mut got = ids(&s.devices(&f).unwrap());
            got.sort();
            assert_eq!(s.count_devices(&f).unwrap(), got.len() as u64, "{f:?}");
            got
        };
        let prefix = |p: &str| DeviceFilter {
            serial_prefix: Some(p.into()),
            ..DeviceFilter::default()
        };
        assert_eq!(q(prefix("GW1")), ["GW10", "GW11"]);
        assert_eq!(q(prefix("GW")), ["GW10", "GW11", "GW2"]);
        assert_eq!(q(prefix("gw")), ["gw12"], "case counts");
        assert!(q(prefix("GW%")).is_empty(), "no wildcard");
        let presence = |online: bool| DeviceFilter {
            presence: Some(Presence {
                online,
                now: NOW,
                default_interval_s: 3600,
            }),
            ..DeviceFilter::default()
        };
        assert_eq!(q(presence(true)), ["GW10", "GW2"]);
        assert_eq!(q(presence(false)), ["GW11", "GX1", "gw12"]);
        for d in s.devices(&DeviceFilter::default()).unwrap() {
            let online = ["GW10", "GW2"].contains(&d.key.serial.as_str());
            assert_eq!(
                Presence::is_online(&d, NOW, 3600),
                online,
                "{}",
                d.key.serial
            );
        }
        let down = DeviceFilter {
            lines_down: true,
            ..DeviceFilter::default()
        };
        assert_eq!(q(down), ["GW11", "gw12"]);

        let stats = s.fleet_stats(NOW, 3600).unwrap();
        assert_eq!(stats.devices, 5);
        assert_eq!(stats.pending, 5);
        assert_eq!(stats.approved, 0);
        assert_eq!(stats.online, 0, "only approved devices count as online");
        assert_eq!(
            (stats.lines, stats.lines_up, stats.devices_lines_down),
            (9, 7, 2)
        );
        assert_eq!((stats.calls_mos, stats.calls_jitter), ([0; 4], [0; 4]));
    }
}

/// The calls of the last day, summed over the devices whose call log was read in it.
#[test]
fn recent_calls_are_summed_over_the_fleet() {
    const NOW: i64 = 1_000_000;
    for s in backends() {
        let mut w = Vec::new();
        for (serial, at, mos, jitter) in [
            ("Q1", Some(NOW - 60), [3, 1, 0, 0], [4, 0, 0, 0]),
            ("Q2", Some(NOW - 3600), [0, 2, 1, 1], [1, 1, 1, 1]),
            ("Q3", Some(NOW - 90_000), [9, 9, 9, 9], [9, 9, 9, 9]), // read too long ago
            ("Q4", None, [0; 4], [0; 4]),
        ] {
            let mut d = device(serial);
            d.calls_at = at;
            d.calls_mos = mos;
            d.calls_jitter = jitter;
            w.push(Write::PutDevice(d));
        }
        s.apply(w).unwrap();
        let stats = s.fleet_stats(NOW, 3600).unwrap();
        assert_eq!(stats.calls_mos, [3, 3, 1, 1]);
        assert_eq!(stats.calls_jitter, [5, 1, 1, 1]);
        let d = s.device(&device("Q2").id).unwrap().unwrap();
        assert_eq!((d.calls_at, d.calls_mos), (Some(NOW - 3600), [0, 2, 1, 1]));
    }
}

/// Every order, both ways, pages without overlap (ties broken by id).
#[test]
fn listings_sort_by_each_column_both_ways() {
    for s in backends() {
        let s = fleet(s);
        let order = |sort: DeviceSort, descending: bool| {
            let f = DeviceFilter {
                sort,
                descending,
                ..DeviceFilter::default()
            };
            ids(&s.devices(&f).unwrap())
        };
        assert_eq!(
            order(DeviceSort::Id, false),
            ["A1", "A2", "B1", "B_2", "C-1", "C1"]
        );
        assert_eq!(
            order(DeviceSort::Id, true),
            ["C1", "C-1", "B_2", "B1", "A2", "A1"]
        );
        assert_eq!(
            order(DeviceSort::Faults, true),
            ["B_2", "A2", "C1", "C-1", "B1", "A1"]
        );
        assert_eq!(
            order(DeviceSort::Model, false),
            ["A1", "B1", "B_2", "A2", "C-1", "C1"]
        );
        assert_eq!(
            order(DeviceSort::SoftwareVersion, false),
            ["A1", "B1", "C-1", "C1", "A2", "B_2"]
        );
        // No site sorts first.
        assert_eq!(
            order(DeviceSort::Site, false),
            ["C-1", "C1", "B1", "B_2", "A1", "A2"]
        );
        // Pages of 2 in the faults order cover everything once.
        let mut seen = Vec::new();
        for offset in [0, 2, 4] {
            let f = DeviceFilter {
                sort: DeviceSort::Faults,
                limit: 2,
                offset,
                ..DeviceFilter::default()
            };
            seen.extend(ids(&s.devices(&f).unwrap()));
        }
        assert_eq!(seen, ["A1", "B1", "C-1", "C1", "A2", "B_2"]);
    }
}

#[test]
fn fleet_stats_count_the_fleet() {
    for s in backends() {
        let s = fleet(s);
        let stats = s.fleet_stats(0, 3600).unwrap();
        assert_eq!(stats.devices, 6);
        assert_eq!((stats.pending, stats.approved, stats.rejected), (2, 3, 1));
        assert_eq!(stats.online + stats.offline, 3);
        assert_eq!(stats.faulted, 2);
        let versions: Vec<(String, String, u64)> = stats
            .versions
            .iter()
            .map(|v| (v.model.clone(), v.software_version.clone(), v.devices))
            .collect();
        assert_eq!(
            versions,
            [
                ("TR-4".into(), "1.0".into(), 1),
                ("TR-8".into(), "1.1".into(), 1),
                ("X".into(), "1.0".into(), 1)
            ]
        );
    }
}
