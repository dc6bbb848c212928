//! The whole verifier over an arbitrary record: it must produce a report, never panic, and
//! never pass a record whose frames it could not read.
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_record::format::RecordReader;
use psephos_record::verify::NoProgress;
use psephos_record::verify_record;

fuzz_target!(|data: &[u8]| {
    let report = verify_record(data, &mut NoProgress);
    if report.passed {
        let mut reader = RecordReader::new(data).expect("a passing record has a header");
        while reader.next_item().expect("a passing record reads to its end").is_some() {}
    }
});
