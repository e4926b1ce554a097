//! Links bcg729 only when the `g729` feature is on; does nothing otherwise.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_G729").is_some() {
        println!("cargo:rustc-link-lib=bcg729");
    }
}
