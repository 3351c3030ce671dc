#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tessera_import::fuzzing::clerk_csv(data) {
        panic!("{violation}");
    }
});
