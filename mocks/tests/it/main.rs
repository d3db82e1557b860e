//! Integration tests of the mock servers over real HTTP on loopback ports.

mod cli;
mod common;
mod faults;
mod feed;
mod generator;
mod gkv;
mod lazy;
mod oauth;
mod openapi;
mod planted;
mod tasks;
mod uwlr;
