//! The packed form of polled bus messages: what `visor:app/bus.poll-packed` returns.
//!
//! `poll` hands a guest a `list<message>`, and the canonical ABI lowers each message's topic,
//! sender and payload through a separate call into the guest's allocator: four calls out of
//! the host per message. `poll-packed` hands over the same messages as one byte list — one
//! allocation for the whole batch — which the guest SDK unpacks in its own memory. The host
//! writes it with [`write`]; the guest reads it with [`Records`]. Both sides share this crate,
//! so they cannot disagree on the layout.
//!
//! Each message is a 40-byte header followed by its topic, its sender and its payload, with
//! no padding (all integers little-endian):
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 1 | payload kind: 0 empty, 1 bytes, 2 text (UTF-8), 3 frame |
//! | 1 | 1 | flags: bit 0 set when the message is a request (the reply id is valid) |
//! | 2 | 2 | reserved, 0 |
//! | 4 | 4 | topic length in bytes |
//! | 8 | 4 | sender length in bytes |
//! | 12 | 4 | payload length in bytes (4 for a frame: its slot, a `u32`) |
//! | 16 | 8 | sequence |
//! | 24 | 8 | sent-ns |
//! | 32 | 8 | reply id (0 unless a request) |
//!
//! A frame's pixels are not copied: its payload is a slot number, which the guest exchanges
//! for the `frame` resource with `polled-frame`.
//!
//! Nothing here panics on malformed input: a record that does not fit ends the iteration.

/// Bytes of a record's fixed header.
pub const HEADER_BYTES: usize = 40;

const FLAG_REQUEST: u8 = 1;

/// What a record's payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Empty,
    Bytes,
    /// UTF-8 text (the host guarantees it; a reader should still check).
    Text,
    /// A slot to exchange for the frame resource.
    Frame,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Empty => 0,
            Kind::Bytes => 1,
            Kind::Text => 2,
            Kind::Frame => 3,
        }
    }

    fn from_code(code: u8) -> Option<Kind> {
        Some(match code {
            0 => Kind::Empty,
            1 => Kind::Bytes,
            2 => Kind::Text,
            3 => Kind::Frame,
            _ => return None,
        })
    }
}

/// One message, as written and as read back (borrowing the packed bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub topic: &'a str,
    pub sender: &'a str,
    pub sequence: u64,
    pub sent_ns: u64,
    /// Present on requests.
    pub reply_id: Option<u64>,
    pub kind: Kind,
    /// The payload's bytes; for [`Kind::Frame`], the slot as four little-endian bytes (see
    /// [`Record::frame_slot`]).
    pub payload: &'a [u8],
}

impl Record<'_> {
    /// The slot of a frame record.
    pub fn frame_slot(&self) -> Option<u32> {
        match (self.kind, self.payload) {
            (Kind::Frame, &[a, b, c, d]) => Some(u32::from_le_bytes([a, b, c, d])),
            _ => None,
        }
    }

    /// Bytes this record takes packed.
    pub fn packed_len(&self) -> usize {
        HEADER_BYTES + self.topic.len() + self.sender.len() + self.payload.len()
    }
}

/// Appends `record` to `out`. Lengths above `u32::MAX` cannot be packed; the host never sends
/// such messages (payloads are capped far below), and this returns false without writing.
pub fn write(out: &mut Vec<u8>, record: &Record<'_>) -> bool {
    let len = |n: usize| u32::try_from(n).ok();
    let (Some(topic), Some(sender), Some(payload)) = (len(record.topic.len()), len(record.sender.len()), len(record.payload.len())) else {
        return false;
    };
    out.reserve(record.packed_len());
    let flags = if record.reply_id.is_some() { FLAG_REQUEST } else { 0 };
    out.extend_from_slice(&[record.kind.code(), flags, 0, 0]);
    out.extend_from_slice(&topic.to_le_bytes());
    out.extend_from_slice(&sender.to_le_bytes());
    out.extend_from_slice(&payload.to_le_bytes());
    out.extend_from_slice(&record.sequence.to_le_bytes());
    out.extend_from_slice(&record.sent_ns.to_le_bytes());
    out.extend_from_slice(&record.reply_id.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(record.topic.as_bytes());
    out.extend_from_slice(record.sender.as_bytes());
    out.extend_from_slice(record.payload);
    true
}

/// The records of a packed poll, in order. Stops at the first record that is malformed or cut
/// short (none are, from a correct host); [`Records::rest`] says what was left unread.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    bytes: &'a [u8],
}

impl<'a> Records<'a> {
    pub fn new(bytes: &'a [u8]) -> Records<'a> {
        Records { bytes }
    }

    /// What is left unread: empty once every record was read.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    fn read(bytes: &'a [u8]) -> Option<(Record<'a>, &'a [u8])> {
        let (header, body) = bytes.split_first_chunk::<HEADER_BYTES>()?;
        let u32_at = |at: usize| u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as usize;
        let u64_at = |at: usize| u64::from_le_bytes(std::array::from_fn(|i| header[at + i]));
        let kind = Kind::from_code(header[0])?;
        let (topic, body) = body.split_at_checked(u32_at(4))?;
        let (sender, body) = body.split_at_checked(u32_at(8))?;
        let (payload, rest) = body.split_at_checked(u32_at(12))?;
        let record = Record {
            topic: std::str::from_utf8(topic).ok()?,
            sender: std::str::from_utf8(sender).ok()?,
            sequence: u64_at(16),
            sent_ns: u64_at(24),
            reply_id: (header[1] & FLAG_REQUEST != 0).then(|| u64_at(32)),
            kind,
            payload,
        };
        Some((record, rest))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let (record, rest) = Records::read(self.bytes)?;
        self.bytes = rest;
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![Just(Kind::Empty), Just(Kind::Bytes), Just(Kind::Text), Just(Kind::Frame)]
    }

    proptest! {
        /// Whatever is packed reads back the same, record for record, with nothing left over.
        #[test]
        fn records_read_back_as_written(
            messages in proptest::collection::vec(
                (".{0,12}", ".{0,8}", any::<u64>(), any::<u64>(), any::<Option<u64>>(), kind(), proptest::collection::vec(any::<u8>(), 0..64)),
                0..8,
            )
        ) {
            let records: Vec<Record<'_>> = messages
                .iter()
                .map(|(topic, sender, sequence, sent_ns, reply_id, kind, payload)| Record {
                    topic, sender, sequence: *sequence, sent_ns: *sent_ns, reply_id: *reply_id, kind: *kind, payload,
                })
                .collect();
            let mut packed = Vec::new();
            for record in &records {
                prop_assert!(write(&mut packed, record));
            }
            prop_assert_eq!(packed.len(), records.iter().map(Record::packed_len).sum::<usize>());
            let mut read = Records::new(&packed);
            prop_assert_eq!(read.by_ref().collect::<Vec<_>>(), records);
            prop_assert!(read.rest().is_empty());
        }

        /// Any bytes at all (a host bug, a truncated list) read without a panic, and never
        /// yield more than fits.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut read = Records::new(&bytes);
            let total: usize = read.by_ref().map(|r| r.packed_len()).sum();
            prop_assert_eq!(total + read.rest().len(), bytes.len());
        }
    }

    #[test]
    fn a_frame_record_carries_its_slot() {
        let mut packed = Vec::new();
        let record = Record {
            topic: "camera/frames",
            sender: "camera",
            sequence: 9,
            sent_ns: 1,
            reply_id: None,
            kind: Kind::Frame,
            payload: &7u32.to_le_bytes(),
        };
        assert!(write(&mut packed, &record));
        let read: Vec<_> = Records::new(&packed).collect();
        assert_eq!(read[0].frame_slot(), Some(7));
        assert_eq!(read[0].packed_len(), packed.len());
        assert_eq!(Record { kind: Kind::Bytes, ..record }.frame_slot(), None);
    }

    #[test]
    fn a_cut_record_ends_the_reading() {
        let mut packed = Vec::new();
        let record = Record { topic: "a", sender: "b", sequence: 1, sent_ns: 2, reply_id: Some(3), kind: Kind::Text, payload: b"hi" };
        assert!(write(&mut packed, &record) && write(&mut packed, &record));
        let cut = &packed[..packed.len() - 1];
        let mut read = Records::new(cut);
        assert_eq!(read.next(), Some(record));
        assert_eq!(read.next(), None);
        assert_eq!(read.rest().len(), record.packed_len() - 1);
        packed[0] = 9;
        assert_eq!(Records::new(&packed).next(), None, "an unknown kind is not guessed at");
    }
}
