#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tessera_import::fuzzing::snapshot(data) {
        panic!("{violation}");
    }
});
