//! Wording helpers every stage uses in its messages: numbers without
//! trailing zeros, quoted lists of names, and "did you mean" suggestions.
//! They live in the first stage so that no later stage has to import the
//! compiler to word an error.

/// A number as a person writes it: at most six decimals, no trailing zeros.
pub(crate) fn fmt_num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A list of values, shortened to its head and tail when long.
pub(crate) fn summarize(values: &[f64]) -> String {
    if values.len() <= 8 {
        return values
            .iter()
            .map(|v| fmt_num(*v))
            .collect::<Vec<_>>()
            .join(", ");
    }
    let head: Vec<String> = values.iter().take(4).map(|v| fmt_num(*v)).collect();
    let tail: Vec<String> = values
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(|v| fmt_num(*v))
        .collect();
    format!(
        "{}, …, {} ({} values)",
        head.join(", "),
        tail.join(", "),
        values.len()
    )
}

/// Answer codes, comma separated.
pub(crate) fn join_codes(codes: &[i64]) -> String {
    codes
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names in backticks, comma separated.
pub(crate) fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names longer than this get no suggestion (the distance would cost the
/// product of the lengths; no id of a real definition is this long).
const SUGGEST_LIMIT: usize = 256;

/// "did you mean `x`?" when a known name is close, else the fallback advice.
pub(crate) fn suggest<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a String>,
    fallback: &str,
) -> String {
    // Close means at most a third of the characters differ, so `q3` does not
    // suggest `q1`; a tie suggests nothing rather than a guess. The edit
    // distance is at least the difference in length, so a name far longer
    // or shorter than a known one (a 50 MB id sent by a hostile request or
    // definition) is passed over before the distance, which costs the
    // product of the lengths, is computed.
    let n = name.chars().count();
    if n > SUGGEST_LIMIT {
        return fallback.to_string();
    }
    let mut close: Vec<(usize, &String)> = known
        .into_iter()
        .filter(|k| {
            let m = k.chars().count();
            n.abs_diff(m) * 3 <= n.max(m)
        })
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d > 0 && d * 3 <= k.chars().count().max(n))
        .collect();
    crate::source::sorted::sort(&mut close);
    match close.as_slice() {
        [(d, k), rest @ ..] if rest.first().is_none_or(|(d2, _)| d2 > d) => {
            format!("did you mean `{k}`?")
        }
        _ => fallback.to_string(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_close_names() {
        let known = vec!["frequency".to_string(), "agree".to_string()];
        assert_eq!(
            suggest("frequncy", &known, "x"),
            "did you mean `frequency`?"
        );
        assert_eq!(suggest("zzz", &known, "define it"), "define it");
        // Far longer names are passed over without computing a distance
        // (a 1,000,000 × 1,000,000 table would not finish here).
        let huge = "q".repeat(1_000_000);
        let known_huge = vec![huge.clone() + "x", "frequency".to_string()];
        assert_eq!(suggest(&huge, &known_huge, "define it"), "define it");
        assert_eq!(
            suggest("frequenc", &known_huge, "x"),
            "did you mean `frequency`?"
        );
    }

    #[test]
    fn numbers_print_without_trailing_zeros() {
        assert_eq!(fmt_num(4.0), "4");
        assert_eq!(fmt_num(4.5), "4.5");
        assert_eq!(fmt_num(13.0 / 3.0), "4.333333");
    }
}
