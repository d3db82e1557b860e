//! Small-cell suppression (celbeveiliging). Primary: counts from 1 to threshold − 1 are shown as
//! `<5`. Secondary: every published linear relation ("these parts add up to that total") with
//! exactly one suppressed member gets a second one — the smallest non-zero member still shown —
//! repeated until no relation has a single suppressed member, so no cell is recovered by
//! subtraction. Zero is shown as 0: it is exact and cannot be confused with a suppressed count.

/// How a cell is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The exact number.
    Shown,
    /// Primary suppression: `<threshold`.
    Small,
    /// Secondary suppression: hidden to protect another cell.
    Hidden,
}

/// Marks `values` for publication. Each relation lists cell indices whose sum relation is public
/// (the parts and their total, or two cells that must be equal); the order does not matter.
/// Indices out of range are ignored.
pub fn suppress(values: &[u64], relations: &[Vec<usize>], threshold: u32) -> Vec<Mark> {
    let threshold = u64::from(threshold);
    let mut marks: Vec<Mark> = values
        .iter()
        .map(|&v| {
            if v > 0 && v < threshold {
                Mark::Small
            } else {
                Mark::Shown
            }
        })
        .collect();
    loop {
        let mut changed = false;
        for relation in relations {
            let members: Vec<usize> = relation.iter().copied().filter(|&i| i < values.len()).collect();
            let suppressed = members.iter().filter(|&&i| marks[i] != Mark::Shown).count();
            if suppressed != 1 {
                continue;
            }
            let partner = members
                .iter()
                .copied()
                .filter(|&i| marks[i] == Mark::Shown && values[i] > 0)
                .min_by_key(|&i| (values[i], i));
            if let Some(i) = partner {
                marks[i] = Mark::Hidden;
                changed = true;
            }
        }
        if !changed {
            return marks;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an attacker learns from a relation `parts = total` where every member but one is shown.
    fn recoverable(values: &[u64], marks: &[Mark], parts: &[usize], total: usize) -> Option<u64> {
        let hidden: Vec<usize> = parts
            .iter()
            .chain(std::iter::once(&total))
            .copied()
            .filter(|&i| marks[i] != Mark::Shown)
            .collect();
        match hidden.as_slice() {
            [i] if *i == total => Some(parts.iter().map(|&p| values[p]).sum()),
            [i] => {
                let others: u64 = parts.iter().filter(|&&p| p != *i).map(|&p| values[p]).sum();
                Some(values[total] - others)
            }
            _ => None,
        }
    }

    #[test]
    fn counts_below_the_threshold_are_small_and_zero_stays_zero() {
        let marks = suppress(&[0, 1, 4, 5, 30], &[], 5);
        assert_eq!(
            marks,
            [Mark::Shown, Mark::Small, Mark::Small, Mark::Shown, Mark::Shown]
        );
    }

    #[test]
    fn subtraction_from_a_total_cannot_recover_a_suppressed_cell() {
        // Zorgniveaus 1, 2, 3 and the school's pupil count: 40 + 12 + 3 = 55.
        let values = [40, 12, 3, 55];
        let rel = vec![vec![0, 1, 2, 3]];
        let marks = suppress(&values, &rel, 5);
        assert_eq!(marks[2], Mark::Small);
        assert_eq!(marks[1], Mark::Hidden, "the next-smallest cell is hidden too");
        assert_eq!(marks[0], Mark::Shown);
        assert_eq!(marks[3], Mark::Shown);
        assert_eq!(recoverable(&values, &marks, &[0, 1, 2], 3), None);
        // Without secondary suppression the attack works: 55 − 40 − 12 = 3.
        let naive = [Mark::Shown, Mark::Shown, Mark::Small, Mark::Shown];
        assert_eq!(recoverable(&values, &naive, &[0, 1, 2], 3), Some(3));
    }

    #[test]
    fn secondary_suppression_propagates_across_rows_and_columns() {
        // Two schools × two levels, row totals, column totals and a grand total:
        //           L1  L2  total
        // school A  20   2   22
        // school B  30  10   40
        // board     50  12   62
        let values = [20, 2, 22, 30, 10, 40, 50, 12, 62];
        let rel = vec![
            vec![0, 1, 2],
            vec![3, 4, 5],
            vec![6, 7, 8],
            vec![0, 3, 6],
            vec![1, 4, 7],
            vec![2, 5, 8],
        ];
        let marks = suppress(&values, &rel, 5);
        for r in &rel {
            let (total, parts) = r.split_last().expect("relation");
            assert_eq!(
                recoverable(&values, &marks, parts, *total),
                None,
                "{r:?} {marks:?}"
            );
        }
        assert_eq!(marks[1], Mark::Small);
        assert!(marks.iter().filter(|m| **m == Mark::Hidden).count() >= 3);
    }

    #[test]
    fn a_small_total_with_one_small_part_needs_no_extra_cell() {
        // 3 pupils, all at level 1: both the part and the total are small already.
        let marks = suppress(&[3, 0, 3], &[vec![0, 1, 2]], 5);
        assert_eq!(marks, [Mark::Small, Mark::Shown, Mark::Small]);
    }

    #[test]
    fn equal_cells_are_suppressed_together() {
        let marks = suppress(&[7, 7, 2], &[vec![0, 1], vec![1, 2]], 5);
        assert_eq!(marks[2], Mark::Small);
        assert_ne!(marks[1], Mark::Shown, "partner of the small cell");
        assert_ne!(marks[0], Mark::Shown, "equal to a hidden cell");
    }

    proptest::proptest! {
        /// Any table with row, column and grand totals: small cells are exactly the counts 1–4,
        /// and no relation is left with a single suppressed member.
        #[test]
        fn no_relation_keeps_a_single_suppressed_cell(
            rows in 1usize..5,
            cols in 1usize..5,
            seed in proptest::collection::vec(0u64..30, 16),
        ) {
            // Layout: cells r*(cols+1)+c, row total at c = cols; the last row holds column totals.
            let w = cols + 1;
            let mut values = vec![0u64; (rows + 1) * w];
            for r in 0..rows {
                for c in 0..cols {
                    values[r * w + c] = seed[(r * cols + c) % seed.len()];
                }
                values[r * w + cols] = (0..cols).map(|c| values[r * w + c]).sum();
            }
            for c in 0..w {
                values[rows * w + c] = (0..rows).map(|r| values[r * w + c]).sum();
            }
            let mut rel: Vec<Vec<usize>> = (0..=rows).map(|r| (0..w).map(|c| r * w + c).collect()).collect();
            rel.extend((0..w).map(|c| (0..=rows).map(|r| r * w + c).collect::<Vec<_>>()));
            let marks = suppress(&values, &rel, 5);
            for (v, m) in values.iter().zip(&marks) {
                proptest::prop_assert_eq!(*m == Mark::Small, (1..5).contains(v));
            }
            for r in &rel {
                let n = r.iter().filter(|&&i| marks[i] != Mark::Shown).count();
                proptest::prop_assert_ne!(n, 1, "{:?} {:?} {:?}", r, values, marks);
            }
        }
    }
}
