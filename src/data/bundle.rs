//! The data folder's files as compiled into the binary by `build.rs`: a table of paths and
//! bytes, and the id that names the folder they are unpacked into.

include!(concat!(env!("OUT_DIR"), "/bundle.rs"));
