//! Actions: what Zorgsignaal does with its findings — push tasks back to the source systems
//! through the outbox (exactly once by idempotency key) and mail the IB.

pub mod outbox;
