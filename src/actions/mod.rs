//! Actions: what Zorgsignaal does with its findings — push tasks back to the source systems
//! through the outbox (exactly once by idempotency key) and mail the IB a Dutch digest.

pub mod mail;
pub mod outbox;
pub mod push;
