//! wasm binding (filled in below).
