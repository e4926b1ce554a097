//! SNMPv2-TC (RFC 2579): the textual conventions with enumerations that the agent's
//! objects use.

mib_enum! {
    /// `TruthValue` (SNMPv2-TC, RFC 2579 §2): a boolean as an enumerated INTEGER,
    /// `true(1)` and `false(2)` (not 0!). Used by `tipringCallSrtp`,
    /// `ifPromiscuousMode`, `ifConnectorPresent`, `entPhysicalIsFRU`.
    pub enum TruthValue {
        /// `true(1)`.
        True = 1, "true";
        /// `false(2)`.
        False = 2, "false";
    }
}

impl From<bool> for TruthValue {
    fn from(b: bool) -> Self {
        if b {
            TruthValue::True
        } else {
            TruthValue::False
        }
    }
}

impl From<TruthValue> for bool {
    fn from(t: TruthValue) -> bool {
        t == TruthValue::True
    }
}
