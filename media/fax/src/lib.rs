//! Fax over spandsp (skeleton).
