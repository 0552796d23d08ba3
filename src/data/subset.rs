//! What a run's subset actually holds, said when it is not what was asked for: `subset=N` and
//! `val=N` beyond the dataset are clipped to it, `labels=K` beyond the subset means every sample
//! is labelled, and the first N samples of a set sorted by class hold only some classes (the
//! official sets are shuffled; a user's own file may not be).

/// The notes for a run that asked for `subset` training and `val` validation samples (and
/// `labels` labelled ones) and got `train` and `test` labels, of `classes` classes (`usize::MAX`
/// asks for all). Empty when the run is what was asked for.
pub fn subset_notes(
    (subset, val, labels): (usize, usize, Option<usize>),
    train: &[u8],
    test: &[u8],
    classes: &[String],
) -> Vec<String> {
    let mut notes = Vec::new();
    if subset != usize::MAX && train.len() < subset {
        notes.push(format!(
            "subset={subset} is more training images than the dataset has: using all {}",
            train.len()
        ));
    }
    if val != usize::MAX && test.len() < val {
        notes.push(format!(
            "val={val} is more test images than the dataset has: validating on all {}",
            test.len()
        ));
    }
    if let Some(k) = labels.filter(|&k| k >= train.len() && k < usize::MAX) {
        notes.push(format!(
            "labels={k} is not fewer than the {} training images: every one is labelled",
            train.len()
        ));
    }
    let labelled = labels.map_or(train.len(), |k| k.min(train.len()));
    for (what, set) in [("training", &train[..labelled]), ("validation", test)] {
        let missing = missing_classes(set, classes);
        if !set.is_empty() && !missing.is_empty() {
            notes.push(format!(
                "the first {} {what} images hold no {} ({} of {} classes missing: the dataset \
                 file is ordered by class?); the run sees the other classes only. Take a larger \
                 subset, or prepare a shuffled file",
                set.len(),
                missing
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if missing.len() > 3 { ", …" } else { "" },
                missing.len(),
                classes.len()
            ));
        }
    }
    notes
}

/// The classes (names) with no sample among `labels`.
fn missing_classes(labels: &[u8], classes: &[String]) -> Vec<String> {
    let mut seen = vec![false; classes.len()];
    for &l in labels {
        if let Some(s) = seen.get_mut(l as usize) {
            *s = true;
        }
    }
    (classes.iter().zip(seen))
        .filter(|(_, s)| !s)
        .map(|(c, _)| c.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn a_run_that_is_what_was_asked_for_has_no_notes() {
        let train: Vec<u8> = (0..100).map(|i| (i % 10) as u8).collect();
        let test: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
        assert!(subset_notes((100, 20, Some(50)), &train, &test, &names(10)).is_empty());
        assert!(subset_notes((100, 20, None), &train, &test, &names(10)).is_empty());
        let all = usize::MAX;
        assert!(subset_notes((all, all, None), &train, &test, &names(10)).is_empty());
    }

    #[test]
    fn clipped_sizes_and_class_sorted_files_are_said() {
        let sorted: Vec<u8> = (0..100).map(|i| (i / 10) as u8).collect();
        let test: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
        let notes = subset_notes((1000, 50, Some(30)), &sorted, &test, &names(10));
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("subset=1000") && notes[0].contains("all 100"));
        assert!(notes[1].contains("val=50") && notes[1].contains("all 20"));
        // 30 labelled of a class-sorted set: classes 3..9 have no label.
        assert!(notes[2].starts_with("the first 30 training images hold no c3, c4, c5, …"));
        assert!(notes[2].contains("7 of 10 classes missing"), "{}", notes[2]);
        let all = subset_notes((100, 20, Some(500)), &sorted, &test, &names(10));
        assert_eq!(all.len(), 1);
        assert!(all[0].contains("every one is labelled"));
    }
}
