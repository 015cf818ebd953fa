//! `Accept` headers: the media ranges a client asked for, in its order of preference. The one
//! reading of `Accept`, shared by Kroki's output-format negotiation, the health route's three
//! shapes and the error bodies Kroki gives by `Accept`.

/// The media ranges of an Accept header, highest quality first (stable for equal weights).
pub fn by_preference(accept: &str) -> Vec<&str> {
    let mut ranges: Vec<(f32, &str)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim();
            if media.is_empty() {
                return None;
            }
            let quality = pieces
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0).then_some((quality, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges.into_iter().map(|(_, media)| media).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_ranges_sort_by_quality() {
        assert_eq!(
            by_preference("a/b;q=0.1, c/d, e/f;q=0.5, g/h;q=0"),
            vec!["c/d", "e/f", "a/b"]
        );
    }
}
