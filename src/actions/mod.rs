//! Actions: what Zorgsignaal does with its signals outside its own store (mail to the IB).

pub mod mail;
