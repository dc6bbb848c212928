//! An election record file as `psephos verify` reads it: the frame reader to the end or the
//! first error, with the item count bounded by the input (no frame is empty).
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_record::format::RecordReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = RecordReader::new(data) else {
        return;
    };
    let mut items = 0usize;
    while let Ok(Some(_)) = reader.next_item() {
        items += 1;
        assert!(items <= data.len(), "more items than input bytes");
    }
    assert!(reader.bytes_read() <= data.len() as u64);
});
