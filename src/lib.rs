//! NOORMME's Rust core: connection pool, execution and row encoding, with a
//! thin napi layer on top (`napi_api`). Everything but `napi_api` runs under
//! `cargo test` without Node.

pub mod catalog;
pub mod checkpoint;
pub mod codegen;
pub mod error;
pub mod exec;
pub mod functions;
pub mod napi_api;
pub mod policy;
pub mod pool;
pub mod query;
pub mod regex;
pub mod relations;
pub mod schema;
