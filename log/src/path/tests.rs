use super::*;

fn ts(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn info<'a>() -> LogInfo<'a> {
    LogInfo {
        appname: b"Test",
        servername: b"Hello",
        filename: b"",
        format: b"%Y%m%d",
        setdivision: b"",
        has_sufix: true,
        has_app_name_prefix: true,
        has_square_bracket: false,
        concat_str: b"_",
        separ: b"|",
        log_type: b"",
    }
}

fn file(target: &Target, at: &str) -> String {
    target
        .file(Path::new("/logs"), ts(at), &TimeZone::UTC)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn logger_paths_follow_the_reference() {
    let layout = Layout::default();
    let t = layout
        .logger(b"Test", b"Hello", b"", b"%Y%m%d")
        .expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/Test.Hello_20240328.log"
    );
    let t = layout
        .logger(b"Test", b"Hello", b"access", b"%Y%m%d%H")
        .expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/Test.Hello_access_2024032809.log"
    );
}

#[test]
fn the_hour_list_forces_hourly_files() {
    let layout = Layout {
        hourly: vec!["Test.Hello".into()],
        ..Layout::default()
    };
    let t = layout
        .logger(b"Test", b"Hello", b"", b"%Y%m%d")
        .expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/Test.Hello_2024032809.log"
    );
    let t = layout.by_info(&info()).expect("safe");
    assert_eq!(t.roll, Roll::Format("%Y%m%d%H".into()));
}

#[test]
fn every_log_info_variant_names_its_file() {
    let layout = Layout::default();
    let base = layout.by_info(&info()).expect("safe");
    assert_eq!(
        file(&base, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/Test.Hello_20240328.log"
    );

    let named = LogInfo {
        filename: b"biz",
        ..info()
    };
    let t = layout.by_info(&named).expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/Test.Hello_biz_20240328.log"
    );

    let no_prefix = LogInfo {
        filename: b"biz",
        has_app_name_prefix: false,
        ..info()
    };
    let t = layout.by_info(&no_prefix).expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/biz_20240328.log"
    );

    let dashed = LogInfo {
        filename: b"biz",
        concat_str: b"-",
        has_sufix: false,
        ..info()
    };
    let t = layout.by_info(&dashed).expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/Test.Hello-biz-20240328"
    );

    let set = LogInfo {
        setdivision: b"gz.sz.1",
        ..info()
    };
    let t = layout.by_info(&set).expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/gzsz1/Hello/Test.Hello_20240328.log"
    );
    let star = LogInfo {
        setdivision: b"gz.sz.*",
        ..info()
    };
    assert_eq!(
        layout.by_info(&star).expect("safe").dir,
        Path::new("Test/gzsz/Hello")
    );
    let bad = LogInfo {
        setdivision: b"gz.sz",
        ..info()
    };
    assert_eq!(
        layout.by_info(&bad).expect("safe").dir,
        Path::new("Test/Hello")
    );
}

#[test]
fn roll_types_cut_on_multiples_from_the_epoch() {
    let layout = Layout::default();
    let ten_min = LogInfo {
        log_type: b"minute",
        ..info()
    };
    let t = layout.by_info(&ten_min).expect("safe");
    assert_eq!(
        t.roll,
        Roll::Every {
            n: 10,
            unit_secs: 60
        }
    );
    assert_eq!(
        file(&t, "2024-03-28T09:59:59Z"),
        "/logs/Test/Hello/Test.Hello_202403280950.log"
    );
    assert_eq!(
        file(&t, "2024-03-28T10:00:00Z"),
        "/logs/Test/Hello/Test.Hello_202403281000.log"
    );
    let two_hours = LogInfo {
        log_type: b"2hour",
        ..info()
    };
    let t = layout.by_info(&two_hours).expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:30:00Z"),
        "/logs/Test/Hello/Test.Hello_2024032808.log"
    );
    assert_eq!(
        file(&t, "2024-03-28T10:00:00Z"),
        "/logs/Test/Hello/Test.Hello_2024032810.log"
    );
    let day = LogInfo {
        log_type: b"day",
        ..info()
    };
    let t = layout.by_info(&day).expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T23:59:59Z"),
        "/logs/Test/Hello/Test.Hello_20240328.log"
    );
    assert_eq!(
        file(&t, "2024-03-29T00:00:00Z"),
        "/logs/Test/Hello/Test.Hello_20240329.log"
    );
}

#[test]
fn the_server_side_log_type_wins() {
    let layout = Layout {
        log_types: vec![("Test.Hello.biz".into(), "hour".into())],
        ..Layout::default()
    };
    let named = LogInfo {
        filename: b"biz",
        log_type: b"day",
        ..info()
    };
    let t = layout.by_info(&named).expect("safe");
    assert_eq!(
        t.roll,
        Roll::Every {
            n: 1,
            unit_secs: 3_600
        }
    );
}

#[test]
fn roll_type_text_parses_with_defaults() {
    assert_eq!(
        Roll::parse_type("day"),
        Some(Roll::Every {
            n: 1,
            unit_secs: 86_400
        })
    );
    assert_eq!(
        Roll::parse_type("3hour"),
        Some(Roll::Every {
            n: 3,
            unit_secs: 3_600
        })
    );
    assert_eq!(
        Roll::parse_type("minute"),
        Some(Roll::Every {
            n: 10,
            unit_secs: 60
        })
    );
    assert_eq!(
        Roll::parse_type("5minute"),
        Some(Roll::Every {
            n: 5,
            unit_secs: 60
        })
    );
    for bad in ["", "0day", "week", "x1day", "12"] {
        assert_eq!(Roll::parse_type(bad), None, "{bad}");
    }
}

#[test]
fn names_that_would_leave_the_log_directory_are_refused() {
    let layout = Layout::default();
    assert!(layout.logger(b"..", b"Hello", b"", b"%Y").is_err());
    assert!(layout.logger(b"Test", b"a/b", b"", b"%Y").is_err());
    assert!(
        layout
            .logger(b"Test", b"Hello", b"../../etc/passwd", b"%Y")
            .is_err()
    );
    let evil = LogInfo {
        setdivision: b"x/.y.z",
        ..info()
    };
    assert!(layout.by_info(&evil).is_err());
}

#[test]
fn an_invalid_client_format_falls_back_to_the_day() {
    let t = Layout::default()
        .logger(b"Test", b"Hello", b"", b"%Q%")
        .expect("safe");
    assert_eq!(
        file(&t, "2024-03-28T09:59:00Z"),
        "/logs/Test/Hello/Test.Hello_20240328.log"
    );
}

#[test]
fn names_are_in_local_time() {
    let shanghai = TimeZone::get("Asia/Shanghai").expect("zone");
    let t = Layout::default()
        .logger(b"Test", b"Hello", b"", b"%Y%m%d%H")
        .expect("safe");
    let path = t.file(Path::new("/l"), ts("2024-03-28T16:30:00Z"), &shanghai);
    assert_eq!(path, Path::new("/l/Test/Hello/Test.Hello_2024032900.log"));
}
