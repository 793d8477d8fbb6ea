//! The length frame through `tokio_util::codec::FramedRead` over scripted I/O that splits frames
//! at every byte and injects `Pending`, in the style of tokio-util's `length_delimited` tests.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tars_codec::FrameCodec;
use tars_codec::frame::{DEFAULT_MAX_FRAME_LEN, write_frame};
use tokio_util::codec::{Decoder, FramedRead, length_delimited};

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut buf = BytesMut::new();
    write_frame(&mut buf, usize::MAX, |b| b.extend_from_slice(payload)).expect("frame");
    buf.to_vec()
}

async fn collect(mock: tokio_test::io::Mock, codec: FrameCodec) -> Vec<Result<Bytes, String>> {
    let reading = FramedRead::new(mock, codec)
        .map(|r| r.map_err(|e| e.to_string()))
        .collect::<Vec<_>>();
    tokio::time::timeout(Duration::from_secs(5), reading)
        .await
        .expect(
            "FramedRead should finish; a hang means the decoder waits for bytes that never come",
        )
}

#[tokio::test]
async fn frames_split_at_every_byte_with_pending_in_between_are_reassembled() {
    let a = frame(b"\x10\x01hello");
    let b = frame(&[0x2c; 300]);
    let wire = [a.clone(), b.clone()].concat();
    let mut builder = tokio_test::io::Builder::new();
    for byte in &wire {
        builder.read(std::slice::from_ref(byte));
        builder.wait(Duration::from_millis(0));
    }
    let got = collect(builder.build(), FrameCodec::new()).await;
    assert_eq!(
        got,
        vec![
            Ok(Bytes::copy_from_slice(&a[4..])),
            Ok(Bytes::copy_from_slice(&b[4..]))
        ]
    );
}

#[tokio::test]
async fn many_frames_in_one_read_all_come_out() {
    let wire: Vec<u8> = (0u8..50).flat_map(|i| frame(&[i; 3])).collect();
    let mock = tokio_test::io::Builder::new().read(&wire).build();
    let got = collect(mock, FrameCodec::new()).await;
    assert_eq!(got.len(), 50);
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, f)| f.as_deref() == Ok(&[i as u8; 3][..]))
    );
}

#[tokio::test]
async fn lengths_below_five_are_errors() {
    for len in 0u32..5 {
        let mut wire = len.to_be_bytes().to_vec();
        wire.extend_from_slice(&[0; 8]);
        let mock = tokio_test::io::Builder::new().read(&wire).build();
        let got = collect(mock, FrameCodec::new()).await;
        assert_eq!(got.len(), 1, "length {len}");
        let err = got[0].as_ref().expect_err("must be an error");
        assert!(err.contains("below the minimum 5"), "length {len}: {err}");
    }
}

#[tokio::test]
async fn a_frame_longer_than_the_limit_is_refused_before_its_body_arrives() {
    let mock = tokio_test::io::Builder::new().read(&[0, 0, 4, 1]).build();
    let got = collect(mock, FrameCodec::new().with_max_frame_len(1024)).await;
    assert_eq!(
        got,
        vec![Err("frame length 1025 exceeds the maximum 1024".to_owned())]
    );
}

#[tokio::test]
async fn a_stream_ending_inside_a_frame_is_an_error() {
    let wire = frame(b"\x10\x01abc");
    let mock = tokio_test::io::Builder::new().read(&wire[..6]).build();
    let got = collect(mock, FrameCodec::new()).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].is_err());
}

#[test]
fn the_default_limit_is_10_mib_and_a_frame_at_it_is_accepted() {
    assert_eq!(DEFAULT_MAX_FRAME_LEN, 10 * 1024 * 1024);
    let payload = vec![0u8; DEFAULT_MAX_FRAME_LEN - 4];
    let mut buf = BytesMut::from(&frame(&payload)[..]);
    let got = FrameCodec::new()
        .decode(&mut buf)
        .expect("decode")
        .expect("whole frame");
    assert_eq!(got.len(), payload.len());
    let mut too_big = BytesMut::from(&frame(&[0u8; 1])[..]);
    too_big[..4].copy_from_slice(&(DEFAULT_MAX_FRAME_LEN as u32 + 1).to_be_bytes());
    assert!(FrameCodec::new().decode(&mut too_big).is_err());
}

#[test]
fn the_frame_matches_length_delimited_with_a_minus_four_adjustment() {
    let wire = [frame(b"abcdef"), frame(&[9; 70])].concat();
    let mut ld = length_delimited::Builder::new()
        .length_field_length(4)
        .length_adjustment(-4)
        .num_skip(4)
        .new_codec();
    let mut ours = FrameCodec::new();
    let mut a = BytesMut::from(&wire[..]);
    let mut b = BytesMut::from(&wire[..]);
    for _ in 0..2 {
        let x = ld.decode(&mut a).expect("ld").expect("frame").freeze();
        let y = ours.decode(&mut b).expect("ours").expect("frame");
        assert_eq!(x, y);
    }
}

#[test]
fn write_frame_refuses_an_oversized_frame_and_leaves_the_buffer_untouched() {
    let mut buf = BytesMut::from(&b"keep"[..]);
    let err = write_frame(&mut buf, 10, |b| b.extend_from_slice(&[0; 7])).err();
    assert!(err.is_some_and(|e| e.is_frame()));
    assert_eq!(&buf[..], b"keep");
}
