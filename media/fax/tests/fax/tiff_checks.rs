//! Independent checks of our TIFF files with libtiff-tools' `tiffinfo`.

use std::path::Path;
use std::process::Command;

use tipring_fax::document::{read_pages, test_page, write_test_document};

use crate::common::scratch;

/// `tiffinfo`'s view of a file: (directories, image widths). `None` (with a
/// message) when tiffinfo is not installed.
pub fn tiffinfo_summary(path: &Path) -> Option<(usize, Vec<u32>)> {
    let output = match Command::new("tiffinfo").arg(path).output() {
        Ok(o) => o,
        Err(e) => {
            println!("skipping the tiffinfo check: {e} (install: apt-get install libtiff-tools)");
            return None;
        }
    };
    assert!(output.status.success(), "tiffinfo failed: {output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let dirs = text.matches("TIFF Directory at offset").count();
    let widths = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Image Width: "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect();
    Some((dirs, widths))
}

#[test]
fn test_document_reads_back_and_tiffinfo_agrees() {
    let dir = scratch("tiff_checks");
    let path = dir.join("doc.tif");
    write_test_document(&path, 3).expect("write");
    let pages = read_pages(&path).expect("read back");
    assert_eq!(pages.len(), 3);
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(*p, test_page(i as u32 + 1), "page {} round trip", i + 1);
        assert!(p.black_pixels() > 10_000, "page {} nearly blank", i + 1);
    }
    assert_ne!(pages[0].bits, pages[1].bits);
    assert_ne!(pages[1].bits, pages[2].bits);
    if let Some((dirs, widths)) = tiffinfo_summary(&path) {
        println!("tiffinfo: {dirs} directories, widths {widths:?}");
        assert_eq!(dirs, 3);
        assert_eq!(widths, vec![1728; 3]);
    }
}

#[test]
fn compare_scales_standard_resolution() {
    let sent = test_page(2);
    // Every other row, as a standard-resolution (98 dpi) receiver would store it.
    let stride = sent.bits.len() / sent.height as usize;
    let mut bits = Vec::new();
    for y in (0..sent.height as usize).step_by(2) {
        bits.extend_from_slice(&sent.bits[y * stride..(y + 1) * stride]);
    }
    let half = tipring_fax::document::Page {
        height: sent.height / 2,
        y_res: 98,
        bits,
        ..sent.clone()
    };
    let m = tipring_fax::document::compare(&sent, &half);
    assert!(m.same_size);
    assert!(m.differing < 0.01, "{}", m.differing);
    let other = tipring_fax::document::compare(&sent, &test_page(3));
    assert!(
        other.differing > 0.01,
        "different pages look alike: {}",
        other.differing
    );
}

#[test]
fn missing_file_is_an_error() {
    let dir = scratch("tiff_missing");
    assert!(read_pages(&dir.join("nope.tif")).is_err());
    assert!(tipring_fax::FaxMachine::sender(&dir.join("nope.tif"), &Default::default()).is_err());
}
