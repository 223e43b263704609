//! Names within a typo's reach of the one written: a missing index's neighbours on its table,
//! the relation an `allow_seq_scan` entry probably meant. A typo is the most common cause of
//! "not found", so the message should name what was probably meant.

/// At most this many names are suggested.
pub const CLOSEST: usize = 3;

/// The names closest to `wanted` by edit distance (case ignored), closest first: those within
/// a typo's reach (2 edits, or one in 8 characters for long names), ties by name.
pub fn closest<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let reach = 2.max(wanted.chars().count() / 8);
    let mut close: Vec<(usize, &str)> = names
        .into_iter()
        .map(|name| {
            (
                strsim::damerau_levenshtein(&wanted, &name.to_lowercase()),
                name,
            )
        })
        .filter(|(distance, _)| *distance <= reach)
        .collect();
    close.sort();
    close.dedup();
    let Some(&(best, _)) = close.first() else {
        return Vec::new();
    };
    close
        .into_iter()
        .filter(|(distance, _)| *distance == best)
        .take(CLOSEST)
        .map(|(_, name)| name.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_closest_within_reach_are_named() {
        let names = ["rental", "rentals", "payment", "Rental"];
        assert_eq!(closest("rentl", names), ["Rental", "rental"]);
        assert_eq!(closest("RENTAL", names), ["Rental", "rental"]);
        assert!(closest("customer", names).is_empty());
        let long = "ix_training_metric_config_epoch_step";
        assert_eq!(
            closest("ix_training_metric_confg_epoch_stp", [long]),
            [long]
        );
    }
}
