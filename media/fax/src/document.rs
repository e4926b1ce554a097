//! Test documents and page comparison.
//!
//! * [`write_test_document`] writes an **uncompressed** bilevel multi-page TIFF
//!   with a small IFD writer of our own (no libtiff call): 1728 pixels wide,
//!   204 x 196 dpi ("fine"), `PhotometricInterpretation` WhiteIsZero. spandsp's
//!   `t4_tx` reads it through libtiff and re-encodes it as T.4/T.6 for the line.
//! * [`read_pages`] reads any bilevel TIFF through **libtiff's C API** (declared
//!   in this crate; the library is already linked for spandsp), so it decodes
//!   whatever spandsp wrote: T.4 1D/2D, T.6, or uncompressed.
//! * [`compare`] gives the fraction of differing pixels, scaling rows when the
//!   vertical resolution changed on the way (fine 196 dpi sent, standard 98 dpi
//!   received: every other row).

use std::ffi::CString;
use std::io::Write;
use std::path::Path;

use crate::error::{FaxError, Result};
use crate::ffi;

/// Test page width: ISO A4 at 8 pels/mm.
pub const PAGE_WIDTH: u32 = 1728;
/// Test page height in rows: 14 cm at 196 dpi (shorter than A4's 2287 rows, to
/// keep each simulated call short).
pub const PAGE_HEIGHT: u32 = 1100;
const X_DPI: u32 = 204;
const Y_DPI: u32 = 196;

/// One bilevel page.
#[derive(Clone, PartialEq, Eq)]
pub struct Page {
    /// Pixels per row.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Horizontal resolution, dots per inch (rounded).
    pub x_res: u32,
    /// Vertical resolution, dots per inch (rounded).
    pub y_res: u32,
    /// Rows of `ceil(width / 8)` octets, most significant bit first; 1 = black.
    pub bits: Vec<u8>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("x_res", &self.x_res)
            .field("y_res", &self.y_res)
            .field("black", &self.black_pixels())
            .finish()
    }
}

impl Page {
    fn stride(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    /// Whether the pixel at (`x`, `y`) is black; outside the page is white.
    pub fn pixel(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.bits[y as usize * self.stride() + (x / 8) as usize];
        byte & (0x80 >> (x % 8)) != 0
    }

    /// How many pixels are black.
    pub fn black_pixels(&self) -> u64 {
        self.bits.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    fn blank(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            x_res: X_DPI,
            y_res: Y_DPI,
            bits: vec![0; width.div_ceil(8) as usize * height as usize],
        }
    }

    fn fill(&mut self, x0: u32, y0: u32, x1: u32, y1: u32) {
        let stride = self.stride();
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                self.bits[y as usize * stride + (x / 8) as usize] |= 0x80 >> (x % 8);
            }
        }
    }
}

/// The deterministic test page `n` (1-based): bars, a block checkerboard offset
/// by the page number, `n` large squares (the page-number pattern) and a
/// diagonal, so every page differs and none is blank.
pub fn test_page(n: u32) -> Page {
    let mut p = Page::blank(PAGE_WIDTH, PAGE_HEIGHT);
    // Horizontal bars of growing thickness.
    let mut y = 40;
    for t in 1..=6 {
        p.fill(100, y, PAGE_WIDTH - 100, y + t * 2);
        y += t * 2 + 12;
    }
    // Checkerboard of 48-pixel blocks, shifted by the page number.
    let shift = n * 16;
    for by in 0..5u32 {
        for bx in 0..30u32 {
            if (bx + by + n).is_multiple_of(2) {
                let x0 = 144 + bx * 48 + shift % 48;
                let y0 = 200 + by * 48;
                p.fill(x0, y0, x0 + 48, y0 + 48);
            }
        }
    }
    // Page number: n squares of 120 x 120.
    for i in 0..n {
        let x0 = 150 + i * 200;
        p.fill(x0, 500, x0 + 120, 620);
    }
    // Vertical stripes whose period depends on the page.
    let period = 8 + 4 * n;
    let mut x = 100;
    while x < PAGE_WIDTH - 100 {
        p.fill(x, 700, x + period / 2, 820);
        x += period;
    }
    // A diagonal three pixels thick.
    for i in 0..200u32 {
        p.fill(300 + i * 5 + n * 10, 880 + i, 303 + i * 5 + n * 10, 881 + i);
    }
    p
}

/// Writes `pages` test pages ([`test_page`] 1..=`pages`) as one uncompressed
/// bilevel TIFF (TIFF-F dimensions: 1728 wide, 204 x 196 dpi).
pub fn write_test_document(path: &Path, pages: u32) -> Result<()> {
    let pages: Vec<Page> = (1..=pages).map(test_page).collect();
    let bytes = encode_tiff(&pages);
    let io = |source| FaxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::create(path).map_err(io)?;
    f.write_all(&bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Little-endian TIFF 6.0, one strip per page, each page: image data, the two
/// resolution RATIONALs, then its IFD (linked to the next).
fn encode_tiff(pages: &[Page]) -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let mut out = b"II*\0\0\0\0\0".to_vec(); // IFD offset patched below
    let mut link_at = 4usize; // where the offset of the next IFD goes
    let total = pages.len() as u32;
    for (i, page) in pages.iter().enumerate() {
        let data_at = out.len() as u32;
        out.extend_from_slice(&page.bits);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let xres_at = out.len() as u32;
        out.extend_from_slice(&page.x_res.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        let yres_at = out.len() as u32;
        out.extend_from_slice(&page.y_res.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        let ifd_at = out.len() as u32;
        out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
        let page_number = (i as u32) | (total << 16); // two SHORTs: page, of
        let entries: [(u16, u16, u32); 17] = [
            (254, LONG, 2),                      // NewSubfileType: page of a multi-page file
            (256, LONG, page.width),             // ImageWidth
            (257, LONG, page.height),            // ImageLength
            (258, SHORT, 1),                     // BitsPerSample
            (259, SHORT, 1),                     // Compression: none
            (262, SHORT, 0),                     // Photometric: WhiteIsZero (1 = black)
            (266, SHORT, 1),                     // FillOrder: MSB first
            (273, LONG, data_at),                // StripOffsets
            (274, SHORT, 1),                     // Orientation: top-left
            (277, SHORT, 1),                     // SamplesPerPixel
            (278, LONG, page.height),            // RowsPerStrip
            (279, LONG, page.bits.len() as u32), // StripByteCounts
            (282, RATIONAL, xres_at),            // XResolution
            (283, RATIONAL, yres_at),            // YResolution
            (284, SHORT, 1),                     // PlanarConfiguration: contiguous
            (296, SHORT, 2),                     // ResolutionUnit: inch
            (297, SHORT, page_number),           // PageNumber
        ];
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, kind, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            let count: u32 = if tag == 297 { 2 } else { 1 };
            out.extend_from_slice(&count.to_le_bytes());
            if kind == SHORT && count == 1 {
                out.extend_from_slice(&(value as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        link_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes()); // next IFD: patched or 0
    }
    out
}

/// Reads every page of a bilevel TIFF (whatever libtiff decodes: the
/// uncompressed test documents, T.4 1D/2D and T.6 pages spandsp writes).
pub fn read_pages(path: &Path) -> Result<Vec<Page>> {
    let c = path
        .to_str()
        .and_then(|s| CString::new(s).ok())
        .ok_or_else(|| FaxError::BadPath(path.to_path_buf()))?;
    let raw = ffi::read_tiff_pages(&c).map_err(|reason| FaxError::Tiff {
        path: path.to_path_buf(),
        reason,
    })?;
    Ok(raw
        .into_iter()
        .map(|r| Page {
            width: r.width,
            height: r.height,
            x_res: r.x_res_dpi.round() as u32,
            y_res: r.y_res_dpi.round() as u32,
            bits: r.bits,
        })
        .collect())
}

/// How close a received page is to the sent one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageMatch {
    /// Same width, and the same height once rows are scaled to the sent page's
    /// vertical resolution (within one row).
    pub same_size: bool,
    /// Fraction of the sent page's pixels that differ (0.0 = identical).
    pub differing: f64,
}

/// Compares `received` with `sent`, pixel by pixel over the sent page's area;
/// pixels beyond the received page count as white. When the vertical
/// resolution differs (e.g. fine 196 dpi sent, standard 98 dpi received) each
/// sent row is compared with the received row covering it.
pub fn compare(sent: &Page, received: &Page) -> PageMatch {
    // Received rows per sent row, snapped to the usual ratios (203.2 vs 204
    // dpi and the like are the same resolution written in different units).
    let ratio = f64::from(received.y_res.max(1)) / f64::from(sent.y_res.max(1));
    let ratio = [0.25, 0.5, 1.0, 2.0, 4.0]
        .into_iter()
        .find(|r| (ratio / r - 1.0).abs() < 0.05)
        .unwrap_or(ratio);
    let scaled_height = f64::from(received.height) / ratio;
    let same_size = received.width == sent.width
        && (scaled_height - f64::from(sent.height)).abs() <= 1.0 / ratio.min(1.0);
    let mut differing = 0u64;
    for y in 0..sent.height {
        let ry = (f64::from(y) * ratio).floor() as u32;
        for x in 0..sent.width {
            if sent.pixel(x, y) != received.pixel(x, ry) {
                differing += 1;
            }
        }
    }
    let area = u64::from(sent.width) * u64::from(sent.height);
    PageMatch {
        same_size,
        differing: if area == 0 {
            0.0
        } else {
            differing as f64 / area as f64
        },
    }
}
