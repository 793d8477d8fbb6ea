use super::*;
use crate::Op;

fn config(dir: &Path) -> SpoolConfig {
    SpoolConfig {
        dir: dir.to_path_buf(),
        max_bytes: 1 << 20,
        segment_bytes: 4096,
        fsync: false,
        ..SpoolConfig::default()
    }
}

fn batch(n: usize, tag: &str) -> Batch {
    let mut b = Batch::new();
    for i in 0..n {
        b.push(Op::Index, "idx", &format!("{tag}-{i}"), |d| {
            d.int("i", i as i64).str("pad", "x".repeat(100));
        })
        .expect("valid");
    }
    b
}

fn drain(spool: &mut Spool) -> Vec<String> {
    let mut ids = Vec::new();
    while let Some((pos, b)) = spool.peek().expect("readable") {
        ids.extend(b.iter().map(|d| d.id.to_string()));
        spool.commit(pos).expect("commit");
    }
    ids
}

#[test]
fn records_replay_in_order_across_segments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut spool, rec) = Spool::open(&config(dir.path())).expect("open");
    assert_eq!(rec, Recovered::default());
    for k in 0..10 {
        spool
            .append(&batch(5, &format!("b{k}")))
            .map_err(|_| "append")
            .expect("room");
    }
    assert!(spool.segments.len() > 1, "small segments rotate");
    let ids = drain(&mut spool);
    let want: Vec<String> = (0..10)
        .flat_map(|k| (0..5).map(move |i| format!("b{k}-{i}")))
        .collect();
    assert_eq!(ids, want);
    assert!(!spool.has_records());
    assert_eq!(spool.bytes(), 0, "replayed segments are deleted");
    assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 0);
}

#[test]
fn a_reopened_spool_replays_what_it_held() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let (mut spool, _) = Spool::open(&config(dir.path())).expect("open");
        for k in 0..4 {
            spool
                .append(&batch(3, &format!("b{k}")))
                .map_err(|_| "append")
                .expect("room");
        }
        // Replay one record, then "crash": the cursor is not persisted.
        let (pos, _) = spool.peek().expect("read").expect("a record");
        spool.commit(pos).expect("commit");
    }
    let (mut spool, rec) = Spool::open(&config(dir.path())).expect("reopen");
    assert!(rec.segments >= 1 && rec.truncated_bytes == 0);
    let ids = drain(&mut spool);
    assert_eq!(
        ids.len(),
        12,
        "everything not yet deleted is replayed again (idempotent ids)"
    );
    spool
        .append(&batch(1, "after"))
        .map_err(|_| "append")
        .expect("room");
    assert_eq!(drain(&mut spool), ["after-0"]);
}

#[test]
fn a_torn_tail_is_cut_and_earlier_records_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path;
    {
        let (mut spool, _) = Spool::open(&SpoolConfig {
            segment_bytes: 1 << 20,
            ..config(dir.path())
        })
        .expect("open");
        spool
            .append(&batch(2, "a"))
            .map_err(|_| "append")
            .expect("room");
        spool
            .append(&batch(2, "b"))
            .map_err(|_| "append")
            .expect("room");
        path = spool.segments[0].path.clone();
    }
    let len = fs::metadata(&path).expect("stat").len();
    // Tear the last record in half.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(len - 50))
        .expect("truncate");
    let (mut spool, rec) = Spool::open(&config(dir.path())).expect("reopen");
    assert!(rec.truncated_bytes > 0);
    assert_eq!(drain(&mut spool), ["a-0", "a-1"]);
}

#[test]
fn a_flipped_byte_is_caught_by_the_checksum() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path;
    {
        let (mut spool, _) = Spool::open(&SpoolConfig {
            segment_bytes: 1 << 20,
            ..config(dir.path())
        })
        .expect("open");
        spool
            .append(&batch(2, "a"))
            .map_err(|_| "append")
            .expect("room");
        spool
            .append(&batch(2, "b"))
            .map_err(|_| "append")
            .expect("room");
        path = spool.segments[0].path.clone();
    }
    let mut bytes = fs::read(&path).expect("read");
    let last = bytes.len() - 10;
    bytes[last] ^= 0x20;
    fs::write(&path, &bytes).expect("write");
    let (mut spool, rec) = Spool::open(&config(dir.path())).expect("reopen");
    assert!(rec.truncated_bytes > 0);
    assert_eq!(drain(&mut spool), ["a-0", "a-1"]);
}

#[test]
fn a_full_spool_refuses_appends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut spool, _) = Spool::open(&SpoolConfig {
        max_bytes: 8192,
        ..config(dir.path())
    })
    .expect("open");
    let mut appended = 0;
    loop {
        match spool.append(&batch(5, &format!("b{appended}"))) {
            Ok(()) => appended += 1,
            Err(AppendError::Full) => break,
            Err(AppendError::Io(e)) => panic!("{e}"),
        }
    }
    assert!(appended > 0 && spool.bytes() <= 8192);
    // Replaying frees room.
    drain(&mut spool);
    assert!(spool.append(&batch(5, "again")).is_ok());
}
