//! End-to-end tests: the real `circle` binary, driven as users' scripts would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod archive;
mod backup;
mod checkpoints;
mod cli;
mod cli_daily;
mod crash;
mod devices;
mod disk;
mod federation;
mod forgetting;
mod handover;
mod interop;
mod lottery;
mod mdns;
mod public_fields;
mod readme;
mod reconnect;
mod sisters;
mod steward_lottery;
mod util;
mod web;
mod web_stewards;
mod zines;
