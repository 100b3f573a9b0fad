//! The price catalogue: `data/prices.json`, compiled into the binary with
//! `include_str!` (the core does no file I/O).
//!
//! Each row has a stable id (`<provider>.<service>.<item>`, e.g.
//! `aws.kinesis.shard_hour`), the published unit price in USD per `unit`,
//! where it came from and whether a stored source confirmed it. Rows are
//! the price rows of `shared/reference/pricing.json`, copied unchanged
//! apart from the id and the optional monthly free tier; rows added since
//! (GCP egress tiers above 1 TiB, GCP inter-region transfer) carry their
//! own source, date and `confirmed` flag.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The catalogue as shipped.
pub fn prices_json() -> &'static str {
    crate::embedded!("data/prices.json")
}

/// One published price.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PriceRow {
    /// Stable id, `<provider>.<service>.<item>`.
    pub id: String,
    /// "AWS" or "GCP".
    pub provider: String,
    /// The provider's service name.
    pub service: String,
    /// What is billed.
    pub item: String,
    /// The unit the price is per, e.g. "shard-hour", "1M units", "GiB-month".
    pub unit: String,
    /// USD per `unit`; `None` when no source gave a figure.
    pub usd: Option<f64>,
    /// Region the price is for.
    pub region: String,
    /// Where the figure was published.
    pub source: String,
    /// Date of the source ("" if unknown).
    pub as_of: String,
    /// False when no stored source confirmed the figure.
    pub confirmed: bool,
    pub note: String,
    /// Free quantity per 730-hour month, in `unit`s (applied only with
    /// `free_tier = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_per_month: Option<f64>,
}

/// Every price row, parsed once.
pub fn rows() -> &'static [PriceRow] {
    static ROWS: OnceLock<Vec<PriceRow>> = OnceLock::new();
    ROWS.get_or_init(|| serde_json::from_str(prices_json()).expect("data/prices.json parses"))
}

/// The row with id `id`.
pub fn find(id: &str) -> Option<&'static PriceRow> {
    rows().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let rows = rows();
        assert!(rows.len() > 100);
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r.id.split('.').count(), 3, "{}", r.id);
            assert!(r.id.starts_with(&format!("{}.", r.provider.to_lowercase())), "{}", r.id);
            assert!(rows[..i].iter().all(|o| o.id != r.id), "duplicate {}", r.id);
        }
    }

    #[test]
    fn key_prices_match_the_reference() {
        assert_eq!(find("aws.kinesis.shard_hour").unwrap().usd, Some(0.015));
        assert_eq!(find("aws.kinesis.put_payload_units_1m").unwrap().usd, Some(0.014));
        assert_eq!(find("aws.s3.standard_gb_month").unwrap().usd, Some(0.023));
        assert_eq!(find("gcp.pubsub.throughput_tib").unwrap().usd, Some(40.0));
        assert_eq!(find("gcp.transfer_appliance.usage_fee").unwrap().usd, None);
        assert!(!find("aws.snowball.job").unwrap().confirmed);
    }
}
