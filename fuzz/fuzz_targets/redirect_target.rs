#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tessera_server::fuzzing::redirect_target(data) {
        panic!("{violation}");
    }
});
