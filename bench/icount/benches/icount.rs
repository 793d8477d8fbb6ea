//! Every case of `tarsplane_icount::cases()` under callgrind (gungraun): the instructions of
//! `Case::ops` operations, the input prepared outside the measurement. Run through
//! `scripts/icount`, which compares the counts with `bench/icount/baseline.json`.
//!
//! A case added to the crate is added here too (`icount-check` fails on a case that has a
//! baseline but no count).

#![allow(missing_docs, reason = "gungraun's macros generate undocumented items")]

use std::hint::black_box;

use gungraun::{library_benchmark, library_benchmark_group, main};
use tarsplane_icount::{Prepared, prepared};

#[library_benchmark]
#[bench::codec_decode_stat_report_1000(args = ("codec_decode_stat_report_1000"), setup = prepared)]
#[bench::codec_decode_endpoints_100(args = ("codec_decode_endpoints_100"), setup = prepared)]
#[bench::codec_decode_request_small(args = ("codec_decode_request_small"), setup = prepared)]
#[bench::codec_encode_fresh_stat_report_1000(args = ("codec_encode_fresh_stat_report_1000"), setup = prepared)]
#[bench::codec_encode_fresh_endpoints_100(args = ("codec_encode_fresh_endpoints_100"), setup = prepared)]
#[bench::codec_encode_fresh_request_small(args = ("codec_encode_fresh_request_small"), setup = prepared)]
#[bench::codec_encode_reused_stat_report_1000(args = ("codec_encode_reused_stat_report_1000"), setup = prepared)]
#[bench::codec_encode_reused_endpoints_100(args = ("codec_encode_reused_endpoints_100"), setup = prepared)]
#[bench::codec_encode_reused_request_small(args = ("codec_encode_reused_request_small"), setup = prepared)]
#[bench::codec_frame_and_decode_request_small(args = ("codec_frame_and_decode_request_small"), setup = prepared)]
#[bench::registry_find_object_by_id_10k(args = ("registry_find_object_by_id_10k"), setup = prepared)]
#[bench::config_load_config_by_info_10k(args = ("config_load_config_by_info_10k"), setup = prepared)]
#[bench::stat_add_report_1000(args = ("stat_add_report_1000"), setup = prepared)]
#[bench::property_add_report_100(args = ("property_add_report_100"), setup = prepared)]
#[bench::sink_ndjson_stat_100(args = ("sink_ndjson_stat_100"), setup = prepared)]
#[bench::log_logger_by_info_100_lines(args = ("log_logger_by_info_100_lines"), setup = prepared)]
#[bench::trace_merge_and_close_8_lines(args = ("trace_merge_and_close_8_lines"), setup = prepared)]
fn case(prepared: &'static mut Prepared) {
    prepared.run();
    black_box(prepared);
}

library_benchmark_group!(name = hot_paths, benchmarks = case);

main!(library_benchmark_groups = hot_paths);
