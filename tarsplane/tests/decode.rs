//! `tarsplane decode` prints the canonical fixtures as tag/type trees, nested `sBuffer`
//! included, and reports where truncated input stops.

use tarsplane::decode::{self, Input};

#[test]
fn a_request_prints_its_fields_and_its_argument_block() {
    let bytes = tars_test::fixtures::read("request-small.bin");
    let tree = decode::tree(&bytes, Input::Auto).expect("decodes");
    assert!(
        tree.contains("5: string \"tars.tarsregistry.QueryObj\""),
        "{tree}"
    );
    assert!(tree.contains("4: int 12345678"), "{tree}");
    assert!(
        tree.contains("  1: string \"TestApp.HelloServer.HelloObj\""),
        "{tree}"
    );
    assert!(tree.contains("9: map (2)"), "{tree}");
}

#[test]
fn hex_input_and_frames_are_recognised() {
    let hex = "00 00 00 0c 10 01 2c 3c 40 01 56 00\n";
    let bytes = decode::bytes_from_input(hex.as_bytes());
    assert_eq!(bytes.len(), 12);
    let tree = decode::tree(&bytes, Input::Auto).expect("decodes");
    assert!(
        tree.starts_with("frame (12 bytes)\n  1: byte 1\n"),
        "{tree}"
    );
    assert!(tree.ends_with("  5: string \"\"\n"), "{tree}");
}

#[test]
fn the_stat_report_prints_nested_structs_and_maps() {
    let bytes = tars_test::fixtures::read("stat-report-1000.bin");
    let tree = decode::tree(&bytes, Input::Fields).expect("decodes");
    assert!(
        tree.starts_with("1: map (1000)\n  0: {\n    0: string \"App1.Server1\""),
        "{}",
        &tree[..200]
    );
    assert!(tree.trim_end().ends_with("2: byte 1"));
}

#[test]
fn truncated_input_prints_what_it_could_and_the_error() {
    let (partial, error) =
        decode::tree(&[0x10, 0x01, 0x26, 0x05, b'a'], Input::Fields).expect_err("truncated");
    assert_eq!(partial, "1: byte 1\n2: ");
    assert!(error.is_eof());
}

#[test]
fn as_a_method_prints_named_fields_in_tag_order() {
    use tarsplane::typed;
    let bytes = tars_test::fixtures::read("stat-report-1000.bin");
    let schema = typed::schema("StatF.reportMicMsg").expect("known name");
    let json = typed::to_json(&bytes, &schema).expect("decodes");
    assert_eq!(json["from_client"], true);
    let msg = json["msg"].as_array().expect("struct-keyed map as pairs");
    assert_eq!(msg.len(), 1000);
    assert_eq!(msg[0][0]["master_name"], "App1.Server1");
    assert_eq!(msg[0][1]["count"], 67295);
    let first_key = json.as_object().and_then(|o| o.keys().next().cloned());
    assert_eq!(first_key.as_deref(), Some("msg"), "fields in tag order");

    let bytes = tars_test::fixtures::read("endpoints-100.bin");
    let schema = typed::schema("queryf.findobjectbyid.result").expect("case-insensitive");
    let json = typed::to_json(&bytes, &schema).expect("decodes");
    assert_eq!(json["endpoints"][0]["host"], "app-server-0.app-server");
    assert_eq!(json["endpoints"][99]["weight_type"], 1);
}

#[test]
fn as_reports_unknown_tags_and_missing_required_fields() {
    use tarsplane::typed;
    let schema = typed::schema("QueryF.findObjectById").expect("known");
    // id at tag 1, plus an unknown tag 9.
    let json = typed::to_json(&[0x16, 0x01, b'x', 0x90, 0x05], &schema).expect("decodes");
    assert_eq!(json["id"], "x");
    assert_eq!(json["unknown tags"], serde_json::json!([9]));
    let err = typed::to_json(&[0x90, 0x05], &schema).expect_err("id is required");
    assert!(err.is_missing_field());
    assert!(typed::schema("NoSuch.thing").is_none());
    assert!(typed::names().count() > 30);
}
