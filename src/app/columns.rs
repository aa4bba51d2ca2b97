//! Table columns sized from what they hold: each as wide as its widest
//! value when there is room, the widest ones cut first when there is not.
//! Pure: drawing fits the cells to these widths
//! (`render::columns`), and a click on a header finds its column with
//! the same numbers.

use unicode_width::UnicodeWidthStr as _;

use super::layout::{COLUMN_SPACING, MARKER_WIDTH};
use crate::lifecycle::escape;

/// A column: its header and how narrow it may be cut.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub title: &'static str,
    /// The narrowest it is cut to while others are wider; [`WHOLE`] for a
    /// column that is never cut (times, numbers).
    pub min: u16,
    /// Cut before the others: free text the detail line shows whole.
    pub first: bool,
}

impl Col {
    /// A column cut, when it must be, with the others.
    pub const fn new(title: &'static str, min: u16) -> Col {
        Col {
            title,
            min,
            first: false,
        }
    }

    /// The same, cut before the others.
    #[must_use]
    pub const fn cut_first(mut self) -> Col {
        self.first = true;
        self
    }
}

/// A column's `min` for values that must never be cut.
pub const WHOLE: u16 = u16::MAX;

/// The display width of `text` as it is shown: escaped.
pub fn shown_width(text: &str) -> u16 {
    u16::try_from(escape(text).width()).unwrap_or(u16::MAX)
}

/// The width each column wants: its widest value among `rows`, or its
/// header.
pub fn wanted<'a, const N: usize>(
    cols: &[Col; N],
    rows: impl IntoIterator<Item = &'a [String; N]>,
) -> [u16; N] {
    let mut want = cols.map(|c| shown_width(c.title));
    for row in rows {
        for (w, text) in want.iter_mut().zip(row) {
            *w = (*w).max(shown_width(text));
        }
    }
    want
}

/// The width a table of columns wanting `want` needs to show them all
/// whole: what [`widths`] is given as `total`.
pub fn needed(want: &[u16]) -> u16 {
    let gaps = COLUMN_SPACING * u16::try_from(want.len().saturating_sub(1)).unwrap_or(u16::MAX);
    want.iter()
        .fold(MARKER_WIDTH + gaps, |sum, &w| sum.saturating_add(w))
}

/// The widths of columns wanting `want` in a table `total` cells wide
/// (selection marker and spacing included). All are whole when they fit,
/// the last taking what is spare. When they do not, the columns marked
/// [`Col::first`] (free text, such as a runvar) are cut first; then the
/// widest of the rest are cut to a common width, so that one long value
/// does not push the others out. None is cut below its `min`; only when
/// even the minimums do not fit are the rightmost narrowed further.
pub fn widths<const N: usize>(cols: &[Col; N], want: &[u16; N], total: u16) -> [u16; N] {
    let gaps = COLUMN_SPACING * u16::try_from(N.saturating_sub(1)).unwrap_or(u16::MAX);
    let room = u32::from(total.saturating_sub(MARKER_WIDTH + gaps));
    let sum = |ws: &[u16; N]| ws.iter().map(|&w| u32::from(w)).sum::<u32>();
    let mut out = *want;
    if sum(want) <= room {
        if let Some(last) = out.last_mut() {
            *last += u16::try_from(room - sum(want)).unwrap_or(0);
        }
        return out;
    }
    let floor: [u16; N] = std::array::from_fn(|i| cols[i].min.min(want[i]));
    for first in [true, false] {
        let cutting: [bool; N] = std::array::from_fn(|i| cols[i].first == first);
        share_cut(&mut out, &floor, &cutting, room);
        if sum(&out) <= room {
            return out;
        }
    }
    // Even the minimums do not fit: the leftmost columns, which say which
    // row this is, keep theirs.
    let mut excess = sum(&out) - room;
    for w in out.iter_mut().rev() {
        let take = u16::try_from(excess.min(u32::from(*w))).unwrap_or(*w);
        *w -= take;
        excess -= u32::from(take);
    }
    out
}

/// Cut the columns marked in `cutting` to the widest common width under
/// which `out` fits in `room` (none below its `floor`, the others left as
/// they are), what is left over going a cell each to the cut ones.
fn share_cut<const N: usize>(out: &mut [u16; N], floor: &[u16; N], cutting: &[bool; N], room: u32) {
    let want = *out;
    let capped = |cap: u16| -> [u16; N] {
        std::array::from_fn(|i| {
            if cutting[i] {
                floor[i].max(want[i].min(cap))
            } else {
                want[i]
            }
        })
    };
    let sum = |ws: &[u16; N]| ws.iter().map(|&w| u32::from(w)).sum::<u32>();
    let (mut lo, mut hi) = (0u16, want.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if sum(&capped(mid)) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    *out = capped(lo);
    let mut spare = room.saturating_sub(sum(out));
    for i in 0..N {
        if spare == 0 {
            break;
        }
        if cutting[i] && out[i] < want[i] {
            out[i] += 1;
            spare -= 1;
        }
    }
}

/// The values of one row that its columns cut, with their headers: what
/// the detail line shows whole.
pub fn cut<'a, const N: usize>(
    cols: &[Col; N],
    widths: &[u16; N],
    row: &'a [String; N],
) -> Vec<(&'static str, &'a str)> {
    cols.iter()
        .zip(widths)
        .zip(row)
        .filter(|((_, w), text)| shown_width(text) > **w)
        .map(|((c, _), text)| (c.title, text.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Col; 3] = [
        Col::new("n", WHOLE),
        Col::new("job", 6),
        Col::new("ident", 5),
    ];

    /// The room `widths` shares out: a table `total` wide less marker and
    /// spacing.
    fn room(total: u16) -> u16 {
        total - MARKER_WIDTH - 2 * COLUMN_SPACING
    }

    #[test]
    fn a_table_given_what_it_needs_cuts_nothing() {
        let want = [4, 33, 7];
        let w = widths(&COLS, &want, needed(&want));
        assert_eq!(w, want);
        assert!(widths(&COLS, &want, needed(&want) - 1)[1] < 33);
    }

    #[test]
    fn columns_that_fit_are_whole_and_the_last_takes_what_is_spare() {
        let w = widths(&COLS, &[4, 10, 5], 40);
        assert_eq!(w, [4, 10, room(40) - 14]);
    }

    #[test]
    fn the_widest_column_is_cut_first_and_never_below_its_minimum() {
        // 30 columns of room: the 60-wide job is cut, the others whole.
        let w = widths(&COLS, &[4, 60, 8], 34);
        assert_eq!(w, [4, room(34) - 12, 8]);
        // Two wide ones share the cut evenly.
        let w = widths(&COLS, &[4, 60, 60], 34);
        assert_eq!(w.iter().sum::<u16>(), room(34));
        assert!(w[1].abs_diff(w[2]) <= 1, "{w:?}");
        // A column that is never cut stays whole however little room.
        let w = widths(&COLS, &[9, 60, 60], 24);
        assert_eq!(w[0], 9);
        assert_eq!(w, [9, 6, 5]);
    }

    #[test]
    fn a_column_cut_first_gives_way_before_the_others() {
        let cols = [
            Col::new("n", WHOLE),
            Col::new("job", 6),
            Col::new("runvar", 4).cut_first(),
        ];
        // The runvar goes down to its minimum before the job loses a cell.
        let w = widths(&cols, &[4, 20, 40], 34);
        assert_eq!(w, [4, 20, room(34) - 24]);
        // Past that the job is cut too, the runvar staying at its minimum.
        let w = widths(&cols, &[4, 40, 40], 34);
        assert_eq!(w, [4, room(34) - 8, 4]);
    }

    #[test]
    fn with_no_room_for_the_minimums_the_rightmost_give_way() {
        let w = widths(&COLS, &[4, 60, 60], 14);
        assert_eq!(w.iter().sum::<u16>(), room(14));
        assert_eq!(w[0], 4);
        assert_eq!(w[2], 0);
    }

    #[test]
    fn the_detail_line_names_what_was_cut() {
        let row = ["1".to_owned(), "a-long-job-name".to_owned(), "x".to_owned()];
        let w = [4, 6, 5];
        assert_eq!(cut(&COLS, &w, &row), [("job", "a-long-job-name")]);
        assert!(cut(&COLS, &[4, 20, 5], &row).is_empty());
    }

    proptest::proptest! {
        /// The rule the operator sees: no value is cut while blank space
        /// remains on its row, none is cut below its minimum while the
        /// minimums fit, and the table never overflows.
        #[test]
        fn nothing_is_cut_while_room_is_left(
            spec in proptest::collection::vec((0u16..30, proptest::bool::ANY, proptest::bool::ANY, 0u16..90), 6),
            total in 8u16..260,
        ) {
            let cols: [Col; 6] = std::array::from_fn(|i| {
                let (min, whole, first, _) = spec[i];
                let c = Col::new("c", if whole { WHOLE } else { min });
                if first { c.cut_first() } else { c }
            });
            let want: [u16; 6] = std::array::from_fn(|i| spec[i].3);
            let w = widths(&cols, &want, total);
            let room = u32::from(total.saturating_sub(MARKER_WIDTH + 5 * COLUMN_SPACING));
            let used: u32 = w.iter().map(|&x| u32::from(x)).sum();
            proptest::prop_assert!(used <= room, "{w:?} in {room}");
            let cut = w.iter().zip(&want).any(|(a, b)| a < b);
            if cut {
                proptest::prop_assert_eq!(used, room, "{:?} want {:?}", w, want);
            }
            let floors: u32 = (0..6).map(|i| u32::from(cols[i].min.min(want[i]))).sum();
            if floors <= room {
                for i in 0..6 {
                    proptest::prop_assert!(w[i] >= cols[i].min.min(want[i]), "{w:?} want {want:?}");
                }
            }
        }
    }
}
