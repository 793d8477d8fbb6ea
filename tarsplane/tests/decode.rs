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
