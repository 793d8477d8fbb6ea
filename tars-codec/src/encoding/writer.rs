//! [`Writer`]: appends encoded values to a `BytesMut` with one capacity check per value and the
//! cursor in registers. The only `unsafe` in tars-codec.
//!
//! `BytesMut::put_slice` checks the capacity, copies, checks it again and stores the new length,
//! and the compiler reloads the buffer's pointer and capacity from memory after every store
//! into it. The encoder writes many values of a few bytes each, so that bookkeeping was a
//! quarter of its instructions (bench/RESULTS.md). A `Writer` takes the spare capacity once,
//! keeps its own position in it, and gives the bytes to the buffer at the end of
//! [`Writer::append`] (or when it needs more room). Each struct writes its fields through a
//! [`Writer::scoped`] copy of the cursor that lives in registers: a cursor behind a reference
//! is reloaded after every store, because the compiler cannot tell that the bytes stored do
//! not overwrite it. The tests at the bottom run under miri
//! (`cargo +nightly miri test -p tars-codec --lib encoding::writer`, part of `scripts/test`).
//!
//! Invariants, relied on by every `unsafe` block below:
//! - `spare` points at the first byte of `buf`'s spare capacity as it was when the writer last
//!   reserved (or was created), and `room` bytes from there belong to the allocation; `buf` is
//!   not touched in between except through the writer (it is borrowed mutably for the writer's
//!   life);
//! - `pos <= room`, and bytes `spare..spare + pos` have been written;
//! - `buf.len()` is unchanged since `spare` was taken, so handing the bytes over means
//!   `set_len(buf.len() + pos)`.
//!
//! A `Writer` has no `Drop`: only [`Writer::append`] commits at its end, so a panic inside an
//! encoder (or a scope) leaves the buffer at its last commit, never longer than what was
//! written.

#![allow(unsafe_code)]

use std::fmt;

use bytes::BytesMut;

/// A cursor that appends encoded bytes to a `BytesMut`, obtained from [`Writer::append`].
///
/// Encoders take `&mut Writer<'_>` ([`crate::Encode::write`]); [`crate::Encode::encode`] and
/// [`crate::Struct::encode_fields`] wrap a `BytesMut` in one. Cost: one compare per value
/// written, the buffer's length stored once at the end.
///
/// # Examples
///
/// ```
/// use tars_codec::{Encode, encoding::Writer};
///
/// let mut buf = tars_codec::bytes::BytesMut::new();
/// Writer::append(&mut buf, |w| {
///     7i32.write(0, w);
///     "hi".write(1, w);
///     assert_eq!(w.len(), 6);
/// });
/// assert_eq!(&buf[..], &[0x00, 0x07, 0x16, 0x02, b'h', b'i']);
/// ```
pub struct Writer<'a> {
    buf: &'a mut BytesMut,
    spare: *mut u8,
    pos: usize,
    room: usize,
}

impl fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("committed", &self.buf.len())
            .field("pending", &self.pos)
            .field("room", &(self.room - self.pos))
            .finish()
    }
}

impl Writer<'_> {
    /// Runs `f` with a writer appending to `buf`; what it wrote is part of `buf` afterwards.
    ///
    /// If `f` panics, `buf` keeps a prefix of what was written (possibly none of it).
    #[inline]
    pub fn append<R>(buf: &mut BytesMut, f: impl FnOnce(&mut Writer<'_>) -> R) -> R {
        let spare = buf.spare_capacity_mut();
        let room = spare.len();
        let spare = spare.as_mut_ptr().cast::<u8>();
        let mut w = Writer {
            buf,
            spare,
            pos: 0,
            room,
        };
        let r = f(&mut w);
        let len = w.buf.len() + w.pos;
        // SAFETY: the `pos` bytes after the buffer's length are `spare..spare + pos`, written
        // (invariants), and `pos <= room` keeps them inside the capacity.
        unsafe { w.buf.set_len(len) };
        r
    }

    /// Runs `f` with a copy of this writer, then continues where the copy stopped.
    ///
    /// The copy is a local whose address the compiler can see does not escape, so its cursor
    /// stays in registers while `f` writes (if `f` is inlined); derived structs write their
    /// fields this way.
    #[inline(always)]
    pub fn scoped<R>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> R) -> R {
        let mut local = Writer {
            buf: &mut *self.buf,
            spare: self.spare,
            pos: self.pos,
            room: self.room,
        };
        let r = f(&mut local);
        // The copy kept the invariants for the same buffer; adopting its cursor keeps them.
        let (spare, pos, room) = (local.spare, local.pos, local.room);
        self.spare = spare;
        self.pos = pos;
        self.room = room;
        r
    }

    /// The buffer's length including what this writer has appended so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() + self.pos
    }

    /// Whether the buffer is still empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes sure at least `n` bytes can be written at `pos`.
    ///
    /// The slow path is a function of values, not of `&mut self`, so the writer's address does
    /// not escape through it.
    #[inline(always)]
    fn ensure(&mut self, n: usize) {
        if self.room - self.pos < n {
            let (spare, room) = grow(self.buf, self.pos, n);
            self.spare = spare;
            self.room = room;
            self.pos = 0;
        }
    }

    /// Appends the first `n` bytes of `block` (`n` is clamped to `N`).
    ///
    /// The whole block is stored (one or two machine stores for `N <= 16`) and only `n` decides
    /// how much of it counts, so a value of variable width costs no branch.
    #[inline(always)]
    pub(crate) fn put_block<const N: usize>(&mut self, block: [u8; N], n: usize) {
        let n = n.min(N);
        self.ensure(N);
        // SAFETY: `ensure(N)` leaves `room - pos >= N`, so the `N`-byte store at `spare + pos`
        // stays inside the spare capacity (invariants).
        unsafe {
            self.spare
                .add(self.pos)
                .cast::<[u8; N]>()
                .write_unaligned(block);
        }
        // Keeps `pos <= room`: `n <= N <= room - pos`; bytes up to `pos + n` were just written.
        self.pos += n;
    }

    /// Appends `prefix`, then `s`: a string or byte-vector field, head and length in `prefix`.
    ///
    /// Both are stored at their exact width (no store reaches past the field), so a string read
    /// right after it, at the same page offset, does not wait on it (4K aliasing).
    #[inline(always)]
    pub(crate) fn put_prefixed<const P: usize>(&mut self, prefix: [u8; P], s: &[u8]) {
        // Cannot overflow: a slice is at most `isize::MAX` bytes and `P` is a few.
        self.ensure(P + s.len());
        // SAFETY: `ensure` leaves `room - pos >= P + s.len()`, so the prefix store
        // `pos..pos + P` and the copy `pos + P..pos + P + s.len()` are inside the spare
        // capacity; `s` is a shared borrow, so it cannot overlap the spare capacity of the
        // buffer this writer borrows mutably.
        unsafe { put_prefixed_raw(self.spare.add(self.pos), prefix, s) };
        // Keeps `pos <= room` (see above); bytes up to `pos + P + s.len()` were just written.
        self.pos += P + s.len();
    }

    /// Appends `s`.
    #[inline]
    pub fn put_slice(&mut self, s: &[u8]) {
        self.put_prefixed([], s);
    }
}

/// Hands the `pos` bytes written into `buf`'s spare capacity to it, reserves `n` more and returns
/// the new spare capacity (start, length); the writer restarts there at position 0.
#[cold]
#[inline(never)]
fn grow(buf: &mut BytesMut, pos: usize, n: usize) -> (*mut u8, usize) {
    let len = buf.len() + pos;
    // SAFETY: the caller's `pos` bytes after the buffer's length are its written bytes
    // (invariants), and `pos <= room` keeps them inside the capacity.
    unsafe { buf.set_len(len) };
    buf.reserve(n);
    let spare = buf.spare_capacity_mut();
    (spare.as_mut_ptr().cast::<u8>(), spare.len())
}

/// Stores `prefix` at `dst` and `src` right after it.
///
/// Strings of up to 32 bytes (almost all TARS strings) take two overlapping moves (three single
/// bytes below 4) instead of a `memcpy` call, and the string is loaded before anything is
/// stored: a load issued after a store to an address with the same low 12 bits waits for it
/// (4K aliasing), which is what happens when a message is re-encoded at the same page offset
/// it was decoded from (-25 % time on stat-report-1000, bench/RESULTS.md).
///
/// # Safety
///
/// `dst` must be valid for writes of `P + src.len()` bytes and must not overlap `src`.
#[inline(always)]
unsafe fn put_prefixed_raw<const P: usize>(dst: *mut u8, prefix: [u8; P], src: &[u8]) {
    let len = src.len();
    let s = src.as_ptr();
    // SAFETY: in every arm, each read lies inside `src` (offsets below `len`); the prefix store
    // covers `dst..dst + P` and each other write lies inside `dst + P..dst + P + len`, which
    // the caller guarantees are writable and disjoint from `src`. Overlapping pairs write the
    // same bytes twice.
    unsafe {
        let prefix_at = dst.cast::<[u8; P]>();
        let d = dst.add(P);
        match len {
            16..=32 => put_overlapping::<16, P>(prefix_at, prefix, s, d, len),
            8..=15 => put_overlapping::<8, P>(prefix_at, prefix, s, d, len),
            4..=7 => put_overlapping::<4, P>(prefix_at, prefix, s, d, len),
            1..=3 => {
                // Bytes 0, len / 2 and len - 1 cover every length from 1 to 3.
                let (first, middle, last) = (*s, *s.add(len / 2), *s.add(len - 1));
                prefix_at.write_unaligned(prefix);
                d.write(first);
                d.add(len / 2).write(middle);
                d.add(len - 1).write(last);
            }
            0 => prefix_at.write_unaligned(prefix),
            _ => {
                prefix_at.write_unaligned(prefix);
                std::ptr::copy_nonoverlapping(s, d, len);
            }
        }
    }
}

/// Stores `prefix` at `prefix_at`, then the `len` bytes at `s` at `d` as two overlapping `W`-byte
/// moves, both loaded before anything is stored.
///
/// # Safety
///
/// `W <= len <= 2 * W`; `s` must be valid for reads of `len` bytes, `prefix_at` for writes of
/// `P` bytes and `d` for writes of `len` bytes, and no written range may overlap `s`.
#[inline(always)]
unsafe fn put_overlapping<const W: usize, const P: usize>(
    prefix_at: *mut [u8; P],
    prefix: [u8; P],
    s: *const u8,
    d: *mut u8,
    len: usize,
) {
    // SAFETY: `W <= len` keeps `len - W` in range and both reads inside `s..s + len`, both
    // writes inside `d..d + len`; the caller guarantees validity and no overlap.
    unsafe {
        let head = s.cast::<[u8; W]>().read_unaligned();
        let tail = s.add(len - W).cast::<[u8; W]>().read_unaligned();
        prefix_at.write_unaligned(prefix);
        d.cast::<[u8; W]>().write_unaligned(head);
        d.add(len - W).cast::<[u8; W]>().write_unaligned(tail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(buf: &mut BytesMut, f: impl FnOnce(&mut Writer<'_>)) {
        Writer::append(buf, f);
    }

    #[test]
    fn blocks_of_every_width_append_exactly_their_bytes() {
        let block = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        for n in 0..=17 {
            let mut buf = BytesMut::new();
            buf.extend_from_slice(b"ab");
            append(&mut buf, |w| w.put_block(block, n));
            let kept = n.min(16);
            assert_eq!(buf.len(), 2 + kept);
            assert_eq!(&buf[..2], b"ab");
            assert_eq!(&buf[2..], &block[..kept]);
        }
    }

    #[test]
    fn a_full_buffer_grows_and_keeps_what_was_written() {
        // Capacity used up exactly: every write must reserve first, never write past the end.
        let mut buf = BytesMut::with_capacity(4);
        buf.extend_from_slice(&[9; 4]);
        assert_eq!(buf.capacity(), buf.len());
        append(&mut buf, |w| {
            w.put_block([7u8; 10], 3);
            for i in 0..200u8 {
                w.put_block([i; 2], 1);
                w.put_prefixed([0xee], &[i; 5]);
            }
            assert_eq!(w.len(), 4 + 3 + 200 * 7);
        });
        assert_eq!(&buf[..7], &[9, 9, 9, 9, 7, 7, 7]);
        for i in 0..200u8 {
            let at = 7 + usize::from(i) * 7;
            assert_eq!(&buf[at..at + 7], &[i, 0xee, i, i, i, i, i]);
        }
    }

    #[test]
    fn prefixed_strings_of_every_length_round_the_copy_boundaries() {
        fn check<const P: usize>(prefix: [u8; P]) {
            let source: Vec<u8> = (0..80u8).collect();
            for len in 0..=source.len() {
                let mut buf = BytesMut::with_capacity(len + P);
                buf.extend_from_slice(b"x");
                let s = &source[..len];
                append(&mut buf, |w| w.put_prefixed(prefix, s));
                assert_eq!(buf.len(), 1 + P + len, "len {len}, prefix {P}");
                assert_eq!(&buf[1..=P], &prefix[..]);
                assert_eq!(&buf[1 + P..], s, "len {len}, prefix {P}");
            }
        }
        check([]);
        check([0xa0]);
        check([0xa0, 0xa1]);
        check([0xa0, 0xa1, 0xa2, 0xa3, 0xa4]);
        check([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8]);
    }

    #[test]
    fn scopes_continue_where_they_stopped_even_after_growing() {
        let mut buf = BytesMut::new();
        append(&mut buf, |w| {
            w.put_slice(b"<");
            for round in 0..50u8 {
                w.scoped(|inner| {
                    inner.put_slice(&[round; 40]);
                    inner.scoped(|innermost| innermost.put_block([round; 3], 3));
                });
                w.put_slice(b"|");
            }
            w.put_slice(b">");
        });
        assert_eq!(buf.len(), 2 + 50 * 44);
        assert_eq!(buf[0], b'<');
        for round in 0..50u8 {
            let at = 1 + usize::from(round) * 44;
            assert!(
                buf[at..at + 43].iter().all(|&b| b == round),
                "round {round}"
            );
            assert_eq!(buf[at + 43], b'|');
        }
        assert_eq!(buf[buf.len() - 1], b'>');
    }

    #[test]
    fn appends_after_a_split_keep_earlier_bytes() {
        // A buffer whose front was split off (shared storage) must still grow correctly.
        let mut buf = BytesMut::with_capacity(8);
        buf.extend_from_slice(b"frame");
        let front = buf.split();
        append(&mut buf, |w| {
            w.put_prefixed([1, 2], b"hello world");
            w.put_block([3u8; 16], 1);
        });
        assert_eq!(&front[..], b"frame");
        assert_eq!(&buf[..], b"\x01\x02hello world\x03");
    }

    #[test]
    fn a_panic_mid_encode_leaves_a_written_prefix() {
        let mut buf = BytesMut::with_capacity(4);
        buf.extend_from_slice(b"ok");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            append(&mut buf, |w| {
                // Grows twice: what was handed over before the panic stays, nothing after it.
                w.put_slice(&[1; 100]);
                w.put_slice(&[2; 1000]);
                w.scoped(|inner| inner.put_slice(b"never committed"));
                panic!("encoder gave up");
            });
        }));
        assert!(result.is_err());
        assert!(buf.starts_with(b"ok"));
        assert!(buf.len() <= 2 + 100 + 1000);
        assert!(buf[2..].iter().take(100).all(|&b| b == 1));
        assert!(buf[2..].iter().skip(100).all(|&b| b == 2));
    }
}
