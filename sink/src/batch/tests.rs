use super::*;

fn sample() -> Batch {
    let mut b = Batch::new();
    b.push(Op::Index, "tars_stat_20240328", "id-1", |d| {
        d.str("f_tflag", "0960").int("succ_count", 3);
    })
    .expect("valid");
    b.push(Op::Create, "tars_notify_", "id-2", |d| {
        d.str("message", "a\nb").int("@timestamp", 1);
    })
    .expect("valid");
    b
}

#[test]
fn push_writes_bulk_line_pairs() {
    let b = sample();
    let text = std::str::from_utf8(b.ndjson()).expect("utf-8");
    assert_eq!(
        text,
        "{\"index\":{\"_index\":\"tars_stat_20240328\",\"_id\":\"id-1\"}}\n\
         {\"f_tflag\":\"0960\",\"succ_count\":3}\n\
         {\"create\":{\"_index\":\"tars_notify_\",\"_id\":\"id-2\"}}\n\
         {\"message\":\"a\\nb\",\"@timestamp\":1}\n"
    );
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is JSON");
    }
}

#[test]
fn documents_are_found_by_position() {
    let b = sample();
    let d = b.get(1).expect("two documents");
    assert_eq!((d.op, d.index, d.id), (Op::Create, "tars_notify_", "id-2"));
    assert_eq!(d.source, br#"{"message":"a\nb","@timestamp":1}"#);
    assert!(b.get(2).is_none());
}

#[test]
fn copies_keep_every_document_intact() {
    let b = sample();
    let mut c = Batch::new();
    c.push_from(&b, 1);
    c.append(&b);
    let ids: Vec<_> = c.iter().map(|d| d.id).collect();
    assert_eq!(ids, ["id-2", "id-1", "id-2"]);
    assert_eq!(c.get(2).map(|d| d.source), b.get(1).map(|d| d.source));
}

#[test]
fn ndjson_reads_back_to_the_same_batch() {
    let b = sample();
    let back = Batch::from_ndjson(b.ndjson().to_vec()).expect("well formed");
    assert_eq!(back.len(), 2);
    for (x, y) in b.iter().zip(back.iter()) {
        assert_eq!(
            (x.op, x.index, x.id, x.source),
            (y.op, y.index, y.id, y.source)
        );
    }
}

#[test]
fn malformed_ndjson_is_an_error_not_a_panic() {
    for text in [
        &b"{\"index\":{}}\n{}\n"[..],
        b"{\"index\":{\"_index\":\"a\",\"_id\":\"b\"}}\n",
        b"{\"index\":{\"_index\":\"a\",\"_id\":\"b\"}}\nnot json\n",
        b"{\"delete\":{\"_index\":\"a\",\"_id\":\"b\"}}\n{}\n",
        b"{\"index\":{\"_index\":\"A\",\"_id\":\"b\"}}\n{}\n",
    ] {
        assert!(Batch::from_ndjson(text.to_vec()).is_err(), "{text:?}");
    }
}

#[test]
fn bad_names_and_ids_are_refused() {
    let mut b = Batch::new();
    for name in ["", "Upper", "a b", "_x", "a*", "a\"b", "..", "中"] {
        assert!(b.push(Op::Index, name, "id", |_| {}).is_err(), "{name}");
    }
    for id in ["", "a b", "a\"", &"x".repeat(513)] {
        assert!(b.push(Op::Index, "ok", id, |_| {}).is_err(), "{id}");
    }
    assert!(b.is_empty() && b.byte_len() == 0);
}

#[test]
fn doc_ids_are_stable_and_unambiguous() {
    let a = doc_id(&[b"ab", b"c"]);
    assert_eq!(a, doc_id(&[b"ab", b"c"]));
    assert_ne!(a, doc_id(&[b"a", b"bc"]));
    assert_eq!(a.as_str().len(), 32);
}

#[test]
fn doc_id_values_are_pinned() {
    // Changing these breaks idempotent replays of spools written by an earlier version.
    assert_eq!(
        doc_id(&[b"tars"]).as_str(),
        "85535ece087d424bc6f9c658e7144ce1"
    );
}
