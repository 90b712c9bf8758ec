//! End-to-end tests: the real `circle` binary, driven as users' scripts would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backup;
mod cli;
mod crash;
mod disk;
mod federation;
mod interop;
mod mdns;
mod public_fields;
mod reconnect;
mod sisters;
mod util;
mod web;
mod zines;
