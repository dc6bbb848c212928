//! `psephos credentials letters`: one printable letter per voter, all in one PDF, for the
//! credential authority to print and post. Each letter names the election, gives the booth's
//! address with its QR code, the voter's credential code in a large monospaced font (Crockford
//! base32 already leaves out `I`, `L`, `O` and `U`), how to vote and how to check the ballot.
//!
//! Why it looks the way it does: everything that is the same on every letter (the texts, the
//! address and its QR code) is drawn once, as a form XObject that every page places; a page adds
//! only its voter's name, id and code. So 100 000 letters stay a file of a few tens of
//! megabytes, written in seconds. The fonts are PDF's standard ones (Helvetica, Courier), which
//! every reader has, so nothing is embedded; text is written in WinAnsiEncoding (Latin-1 and a
//! few more), and a character outside it prints as `?`. The QR code is vector rectangles, sharp
//! at any printer's resolution.
//!
//! The PDF holds every code: it is a secret file (`letters.secret.pdf`, mode 0600), to be
//! destroyed after printing, like the private file it is made from.

use super::format::CodeRow;
use pdf_writer::{Content, Filter, Name, Pdf, Rect, Ref, Str};
use zeroize::Zeroizing;

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// Left and right margin.
const MARGIN: f32 = 56.0;
/// Longest booth address accepted (characters): it is printed and encoded in the QR code.
pub const MAX_URL: usize = 500;

const FONT_REGULAR: Name<'static> = Name(b"F1");
const FONT_BOLD: Name<'static> = Name(b"F2");
const FONT_CODE: Name<'static> = Name(b"F3");
const TEMPLATE: Name<'static> = Name(b"Letter");

/// Why letters could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LetterError {
    #[error("the booth address must start with https:// or http:// and contain no spaces")]
    BadUrl,
    #[error("the booth address is longer than {MAX_URL} characters")]
    LongUrl,
    #[error("the booth address does not fit in a QR code: {0}")]
    Qr(String),
}

/// What every letter says.
#[derive(Debug, Clone)]
pub struct Letterhead<'a> {
    /// The manifest's election name.
    pub election_name: &'a str,
    /// The booth's address, e.g. `https://vote.example.org/e/referendum/`.
    pub booth_url: &'a str,
}

/// Checks a booth address: absolute http(s), printable ASCII, at most [`MAX_URL`] characters.
pub fn check_url(url: &str) -> Result<(), LetterError> {
    if url.len() > MAX_URL {
        return Err(LetterError::LongUrl);
    }
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || !url.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(LetterError::BadUrl);
    }
    Ok(())
}

/// Makes the PDF: one A4 page per row, in the rows' order. The bytes hold every code and are
/// zeroised when dropped.
pub fn letters_pdf(
    head: &Letterhead<'_>,
    rows: &[CodeRow],
) -> Result<Zeroizing<Vec<u8>>, LetterError> {
    check_url(head.booth_url)?;
    let qr =
        qrcode::QrCode::with_error_correction_level(head.booth_url.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| LetterError::Qr(e.to_string()))?;

    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let fonts = [
        (FONT_REGULAR, Ref::new(3), "Helvetica"),
        (FONT_BOLD, Ref::new(4), "Helvetica-Bold"),
        (FONT_CODE, Ref::new(5), "Courier-Bold"),
    ];
    let template_id = Ref::new(6);
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..rows.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    // An upper bound of the file's size, so that the buffer that ends up holding every code
    // never reallocates (a reallocation would free a copy without zeroising it).
    let per_page: usize = 800;
    let row_bytes: usize = rows
        .iter()
        .map(|r| 4 * (r.voter_id.len() + r.name.len()) + r.code.len())
        .sum();
    let capacity = 64 * 1024 + rows.len() * (per_page + 30) + row_bytes;
    let mut pdf = Pdf::with_capacity(capacity);
    pdf.catalog(catalog_id).pages(tree_id);
    {
        let mut tree = pdf.pages(tree_id);
        tree.kids(page_ids.iter().copied())
            .count(i32::try_from(rows.len()).unwrap_or(i32::MAX))
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        // Resources are inherited by every page (ISO 32000-1, 7.7.3.4).
        let mut res = tree.resources();
        {
            let mut f = res.fonts();
            for (name, id, _) in &fonts {
                f.pair(*name, *id);
            }
        }
        res.x_objects().pair(TEMPLATE, template_id);
    }
    for (_, id, base) in &fonts {
        pdf.type1_font(*id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    let template = template_content(head, &qr);
    let compressed = compress(&template);
    {
        let mut form = pdf.form_xobject(template_id, &compressed);
        form.bbox(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        form.filter(Filter::FlateDecode);
        let mut res = form.resources();
        let mut f = res.fonts();
        for (name, id, _) in &fonts {
            f.pair(*name, *id);
        }
    }

    for (i, row) in rows.iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        pdf.page(page_id).parent(tree_id).contents(content_id);
        let content = Zeroizing::new(page_content(row));
        pdf.stream(content_id, &content);
    }
    let bytes = Zeroizing::new(pdf.finish());
    debug_assert!(bytes.len() <= capacity, "the PDF buffer reallocated");
    Ok(bytes)
}

/// Vertical positions on the page (points from the bottom).
const Y_TITLE: f32 = PAGE_HEIGHT - 80.0;
const Y_VOTER: f32 = PAGE_HEIGHT - 170.0;
const Y_CODE: f32 = PAGE_HEIGHT - 255.0;
const Y_BOOTH: f32 = PAGE_HEIGHT - 320.0;
const QR_SIZE: f32 = 120.0;

/// Static texts, printed on every letter.
const HOW_TO_VOTE: &[&str] = &[
    "1. Open the voting booth at the address above, or scan the QR code with your phone.",
    "2. Type your credential code exactly as printed above. Dashes and spaces do not matter;",
    "   a mistyped code is caught before anything is sent.",
    "3. Make your choices. Then cast your ballot, or challenge it first: a challenged ballot is",
    "   opened so that another device can check it holds your choices; it is never counted,",
    "   and you then vote again.",
    "4. You may vote again until voting closes: only your last cast ballot counts.",
];

const HOW_TO_CHECK: &[&str] = &[
    "When you cast your ballot, the booth shows its tracking code and its position on the",
    "public board, and checks the board's signed receipt for it. Write the tracking code down.",
    "Until the tally, and after it, anyone can find that tracking code on the public board",
    "(the booth's check page); only ballots on the board are counted. If your ballot is",
    "missing, or you see a ballot you did not cast, tell the election officials.",
];

const KEEP_SECRET: &[&str] = &[
    "Keep this letter private. Anyone who has your code can vote in your place; nobody -",
    "not the officials, not the election service - will ever ask you for it. Your code",
    "does not reveal your vote, and the board never learns who you are.",
];

fn template_content(head: &Letterhead<'_>, qr: &qrcode::QrCode) -> Vec<u8> {
    let mut c = Content::new();
    let width = PAGE_WIDTH - 2.0 * MARGIN;

    // Election name (wrapped) and title.
    let mut y = Y_TITLE;
    for line in wrap(head.election_name, width, 18.0, 0.6).iter().take(3) {
        text(&mut c, FONT_BOLD, 18.0, MARGIN, y, line);
        y -= 22.0;
    }
    text(
        &mut c,
        FONT_REGULAR,
        13.0,
        MARGIN,
        y - 4.0,
        "Your voting credential",
    );

    // Labels for the per-voter fields.
    text(&mut c, FONT_REGULAR, 10.0, MARGIN, Y_VOTER + 16.0, "For");
    text(
        &mut c,
        FONT_REGULAR,
        10.0,
        MARGIN,
        Y_CODE + 52.0,
        "Your credential code",
    );
    c.set_line_width(1.0);
    c.rect(MARGIN, Y_CODE - 14.0, width, 58.0);
    c.stroke();

    // The booth: address (wrapped at any character) and QR code.
    text(&mut c, FONT_BOLD, 12.0, MARGIN, Y_BOOTH, "Where to vote");
    let mut y = Y_BOOTH - 18.0;
    for line in wrap_chars(head.booth_url, 58) {
        text(&mut c, FONT_REGULAR, 11.0, MARGIN, y, &line);
        y -= 14.0;
    }
    qr_path(
        &mut c,
        qr,
        PAGE_WIDTH - MARGIN - QR_SIZE,
        Y_BOOTH - QR_SIZE + 12.0,
        QR_SIZE,
    );

    let mut y = Y_BOOTH - QR_SIZE - 20.0;
    for (title, body) in [
        ("How to vote", HOW_TO_VOTE),
        ("How to check your ballot", HOW_TO_CHECK),
        ("Keep your code secret", KEEP_SECRET),
    ] {
        text(&mut c, FONT_BOLD, 12.0, MARGIN, y, title);
        y -= 16.0;
        for line in body {
            text(&mut c, FONT_REGULAR, 10.0, MARGIN, y, line);
            y -= 13.0;
        }
        y -= 12.0;
    }
    c.finish().into_vec()
}

/// One voter's part of a page: the template, then name, voter id and code.
fn page_content(row: &CodeRow) -> Vec<u8> {
    // Large enough never to reallocate (the buffer holds the code).
    let mut c = Content::with_capacity(1024 + 8 * (row.name.len() + row.voter_id.len()));
    c.save_state();
    c.x_object(TEMPLATE);
    c.restore_state();
    let name = if row.name.is_empty() {
        row.voter_id.as_str()
    } else {
        row.name.as_str()
    };
    let name_line = truncate(name, 60);
    text(&mut c, FONT_BOLD, 14.0, MARGIN, Y_VOTER, &name_line);
    let id_line = format!("Voter id: {}", truncate(&row.voter_id, 70));
    text(&mut c, FONT_REGULAR, 10.0, MARGIN, Y_VOTER - 16.0, &id_line);
    // 27 characters of Courier at 24 pt are 389 points wide: centred in the box.
    let code_width = 0.6 * 24.0 * row.code.chars().count() as f32;
    text(
        &mut c,
        FONT_CODE,
        24.0,
        (PAGE_WIDTH - code_width) / 2.0,
        Y_CODE,
        &row.code,
    );
    c.finish().into_vec()
}

fn text(c: &mut Content, font: Name<'_>, size: f32, x: f32, y: f32, s: &str) {
    let bytes = Zeroizing::new(win_ansi(s));
    c.begin_text();
    c.set_font(font, size);
    c.next_line(x, y);
    c.show(Str(&bytes));
    c.end_text();
}

/// The QR code as filled rectangles, one per run of dark modules in a row, with the quiet zone
/// of four modules the standard asks for inside `size`.
fn qr_path(c: &mut Content, qr: &qrcode::QrCode, x: f32, y: f32, size: f32) {
    let n = qr.width();
    let colors = qr.to_colors();
    let module = size / (n + 8) as f32;
    let top = y + size - 4.0 * module;
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                c.rect(
                    x + (4 + start) as f32 * module,
                    top - (row + 1) as f32 * module,
                    (col - start) as f32 * module,
                    module,
                );
            } else {
                col += 1;
            }
        }
    }
    c.fill_nonzero();
}

fn compress(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// Word-wraps `s` for a font whose average advance is `em` of its `size`, within `width`.
fn wrap(s: &str, width: f32, size: f32, em: f32) -> Vec<String> {
    let max = ((width / (size * em)) as usize).max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cuts `s` into lines of at most `max` characters (an address has no spaces to break at).
fn wrap_chars(s: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(max).map(|c| c.iter().collect()).collect()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Encodes text in WinAnsiEncoding (ISO 32000-1, Annex D): Latin-1 and the few extra
/// characters of code page 1252; anything else becomes `?`.
pub fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|ch| match ch {
            ' '..='~' => ch as u8,
            '\u{a0}'..='\u{ff}' => ch as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_keeps_latin_and_replaces_the_rest() {
        assert_eq!(win_ansi("Zoë – €5"), b"Zo\xeb \x96 \x805");
        assert_eq!(win_ansi("Ωx"), b"?x");
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://vote.example.org/e/x/").is_ok());
        assert!(check_url("ftp://x").is_err());
        assert!(check_url("https://a b").is_err());
        assert!(check_url(&format!("https://{}", "a".repeat(MAX_URL))).is_err());
    }

    #[test]
    fn wrap_breaks_between_words() {
        assert_eq!(
            wrap("aaa bbb ccc", 10.0 * 6.0, 10.0, 0.6),
            ["aaa bbb", "ccc"]
        );
        assert_eq!(wrap_chars("abcdef", 4), ["abcd", "ef"]);
    }
}
