//! The ITU-T G.107 (06/2015) E-model, narrowband: the transmission rating factor R and
//! MOS from it, used for the RTCP XR VoIP Metrics block (RFC 3611 §4.7.5).
//!
//! R = Ro − Is − Id − Ie,eff + A (G.107 §7.1), computed in full from the parameters of
//! G.107 Table 3; [`EModelParams::default`] gives those defaults, for which R = 93.2
//! (G.107 §7.7 note) and MOS = 4.41.
//!
//! What a gateway measures enters through:
//! * `ta_ms` — one-way absolute delay (half the RTT + end-system delay), and `t_ms`,
//!   `tr_ms` for talker / listener echo paths (an FXS gateway with an echo canceller
//!   presents residual echo at TELR; callers usually set `t_ms = ta_ms`, `tr_ms = 2 t_ms`);
//! * `ie`, `bpl` from the [`EModelCodec`] table (ITU-T G.113 Appendix I);
//! * `ppl` (packet-loss percentage, lost + discarded) and `burst_r` (G.107 §7.5; 1 for
//!   random loss, see [`burst_ratio`]).
//!
//! MOS-LQ and MOS-CQ (RFC 3611 §4.7.5): conversational quality uses the whole R;
//! listening quality leaves out the delay and echo impairments (Id = 0).

/// Parameters of the E-model (G.107 Table 3 names; delays in ms, levels in dB / dBm0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EModelParams {
    /// Send loudness rating.
    pub slr: f64,
    /// Receive loudness rating.
    pub rlr: f64,
    /// Sidetone masking rating.
    pub stmr: f64,
    /// Listener sidetone rating.
    pub lstr: f64,
    /// D-value of the telephone, send side.
    pub ds: f64,
    /// D-value of the telephone, receive side.
    pub dr: f64,
    /// Talker echo loudness rating.
    pub telr: f64,
    /// Weighted echo path loss.
    pub wepl: f64,
    /// Mean one-way delay of the echo path (ms).
    pub t_ms: f64,
    /// Round-trip delay of a closed 4-wire loop (ms).
    pub tr_ms: f64,
    /// Absolute one-way delay (ms).
    pub ta_ms: f64,
    /// Number of quantisation distortion units.
    pub qdu: f64,
    /// Equipment impairment factor of the codec.
    pub ie: f64,
    /// Packet-loss robustness factor of the codec.
    pub bpl: f64,
    /// Random packet-loss probability, percent.
    pub ppl: f64,
    /// Burst ratio (1 = random loss).
    pub burst_r: f64,
    /// Circuit noise referred to the 0 dBr point (dBm0p).
    pub nc: f64,
    /// Noise floor at the receive side (dBmp).
    pub nfor: f64,
    /// Room noise at the send side (dB(A)).
    pub ps: f64,
    /// Room noise at the receive side (dB(A)).
    pub pr: f64,
    /// Advantage factor.
    pub a: f64,
    /// Delay sensitivity `mT` of §7.3.3 (ms).
    pub m_t: f64,
    /// Delay sensitivity `sT` of §7.3.3.
    pub s_t: f64,
}

impl Default for EModelParams {
    /// G.107 Table 3 default values.
    fn default() -> Self {
        Self {
            slr: 8.0,
            rlr: 2.0,
            stmr: 15.0,
            lstr: 18.0,
            ds: 3.0,
            dr: 3.0,
            telr: 65.0,
            wepl: 110.0,
            t_ms: 0.0,
            tr_ms: 0.0,
            ta_ms: 0.0,
            qdu: 1.0,
            ie: 0.0,
            bpl: 4.3,
            ppl: 0.0,
            burst_r: 1.0,
            nc: -70.0,
            nfor: -64.0,
            ps: 35.0,
            pr: 35.0,
            a: 0.0,
            m_t: 100.0,
            s_t: 1.0,
        }
    }
}

/// The parts of R (G.107 §7.1) and the MOS from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EModelRating {
    /// Basic signal-to-noise ratio Ro.
    pub ro: f64,
    /// Simultaneous impairment Is.
    pub is: f64,
    /// Delay impairment Id = Idte + Idle + Idd.
    pub id: f64,
    /// Effective equipment impairment Ie,eff.
    pub ie_eff: f64,
    /// The rating R = Ro − Is − Id − Ie,eff + A.
    pub r: f64,
    /// MOS (conversational) from R, G.107 Annex B.
    pub mos: f64,
}

fn lg(x: f64) -> f64 {
    x.log10()
}

impl EModelParams {
    /// Compute R and its parts.
    pub fn rate(&self) -> EModelRating {
        let p = self;
        // §7.2 Ro.
        let olr = p.slr + p.rlr;
        let nfo = p.nfor + p.rlr;
        let pre = p.pr + 10.0 * lg(1.0 + 10f64.powf((10.0 - p.lstr) / 10.0));
        let nor = p.rlr - 121.0 + pre + 0.008 * (pre - 35.0).powi(2);
        let nos = p.ps - p.slr - p.ds - 100.0 + 0.004 * (p.ps - olr - p.ds - 14.0).powi(2);
        let no = 10.0
            * lg(10f64.powf(p.nc / 10.0)
                + 10f64.powf(nos / 10.0)
                + 10f64.powf(nor / 10.0)
                + 10f64.powf(nfo / 10.0));
        let ro = 15.0 - 1.5 * (p.slr + no);
        // §7.3 Is.
        let xolr = olr + 0.2 * (64.0 + no - p.rlr);
        let iolr = 20.0 * ((1.0 + (xolr / 8.0).powi(8)).powf(1.0 / 8.0) - xolr / 8.0);
        let stmro = -10.0
            * lg(10f64.powf(-p.stmr / 10.0) + (-p.t_ms / 4.0).exp() * 10f64.powf(-p.telr / 10.0));
        let ist = 12.0 * (1.0 + ((stmro - 13.0) / 6.0).powi(8)).powf(1.0 / 8.0)
            - 28.0 * (1.0 + ((stmro + 1.0) / 19.4).powi(35)).powf(1.0 / 35.0)
            - 13.0 * (1.0 + ((stmro - 3.0) / 33.0).powi(13)).powf(1.0 / 13.0)
            + 29.0;
        let q = 37.0 - 15.0 * lg(p.qdu);
        let g = 1.07 + 0.258 * q + 0.0602 * q * q;
        let z = 46.0 / 30.0 - g / 40.0;
        let y = (ro - 100.0) / 15.0 + 46.0 / 8.4 - g / 9.0;
        let iq = 15.0 * lg(1.0 + 10f64.powf(y) + 10f64.powf(z));
        let is = iolr + ist + iq;
        // §7.4 Id.
        let t = p.t_ms;
        let mut terv =
            p.telr - 40.0 * lg((1.0 + t / 10.0) / (1.0 + t / 150.0)) + 6.0 * (-0.3 * t * t).exp();
        if p.stmr < 9.0 {
            terv += ist / 2.0;
        }
        let re = 80.0 + 2.5 * (terv - 14.0);
        let roe = -1.5 * (no - p.rlr);
        let mut idte = ((roe - re) / 2.0 + ((roe - re).powi(2) / 4.0 + 100.0).sqrt() - 1.0)
            * (1.0 - (-t).exp());
        if p.stmr > 20.0 {
            idte = (idte * idte + ist * ist).sqrt();
        }
        let rle = 10.5 * (p.wepl + 7.0) * (p.tr_ms + 1.0).powf(-0.25);
        let idle = (ro - rle) / 2.0 + ((ro - rle).powi(2) / 4.0 + 169.0).sqrt();
        let idd = if p.ta_ms <= p.m_t {
            0.0
        } else {
            let x = lg(p.ta_ms / p.m_t) / lg(2.0);
            let e = 6.0 * p.s_t;
            25.0 * ((1.0 + x.powf(e)).powf(1.0 / e) - 3.0 * (1.0 + (x / 3.0).powf(e)).powf(1.0 / e)
                + 2.0)
        };
        let id = idte + idle + idd;
        // §7.5 Ie,eff.
        let ie_eff = if p.ppl <= 0.0 {
            p.ie
        } else {
            p.ie + (95.0 - p.ie) * p.ppl / (p.ppl / p.burst_r.max(f64::MIN_POSITIVE) + p.bpl)
        };
        let r = ro - is - id - ie_eff + p.a;
        EModelRating {
            ro,
            is,
            id,
            ie_eff,
            r,
            mos: mos_from_r(r),
        }
    }

    /// R without the delay and echo impairment (Id = 0), for MOS-LQ.
    pub fn rate_listening(&self) -> EModelRating {
        let full = self.rate();
        let r = full.ro - full.is - full.ie_eff + self.a;
        EModelRating {
            id: 0.0,
            r,
            mos: mos_from_r(r),
            ..full
        }
    }
}

/// MOS from R (ITU-T G.107 Annex B, eq. B-4). The cubic dips to 0.99 around R = 3;
/// the result is held at 1 there so MOS never falls below the scale nor decreases with R.
pub fn mos_from_r(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6).max(1.0)
    }
}

/// BurstR (G.107 §7.5) of a two-state loss process: `p` = P(loss | previous received),
/// `q` = P(received | previous lost). BurstR = 1 / (p + q); 1 when loss is random.
pub fn burst_ratio(p: f64, q: f64) -> f64 {
    if p + q <= 0.0 {
        1.0
    } else {
        1.0 / (p + q)
    }
}

/// Codec entries of the E-model table (ITU-T G.113 Appendix I, narrowband scale).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum EModelCodec {
    /// G.711 (either law). With packet-loss concealment (G.711 Appendix I) Bpl = 25.1,
    /// without Bpl = 4.3 (G.113 Appendix I, Table I.3).
    G711 {
        /// PLC in use.
        plc: bool,
    },
    /// G.729 Annex A (+VAD): Ie 11, Bpl 19 (G.113 Table I.3).
    G729A,
    /// G.726 at 32 kbit/s: Ie 7 (G.113 Table I.1). G.113 gives no Bpl for it; as a
    /// sample-based ADPCM concealed by the same PLC as G.711 we use G.711's 25.1.
    G726_32,
    /// G.722 at 64 kbit/s on the *narrowband* scale: Ie 0, Bpl 25.1. Its 50–7000 Hz band
    /// contains the narrowband one at no worse than G.711 quality; the wideband gain is
    /// only expressible on the G.107.1 scale (Ro = 129, Ie,wb 13), which RFC 3611's R
    /// factor does not use. Our choice, documented here.
    G722,
    /// Opus (≥ 20 kbit/s) on the narrowband scale: Ie 0, Bpl 25.1 — an assumption: no
    /// G.113 values exist; Opus is transparent on narrowband speech at these rates and
    /// has PLC at least as good as G.711 Appendix I.
    Opus,
    /// Any other codec with its own values.
    Custom {
        /// Equipment impairment factor.
        ie: f64,
        /// Packet-loss robustness factor.
        bpl: f64,
    },
}

impl EModelCodec {
    /// Equipment impairment factor Ie.
    pub fn ie(&self) -> f64 {
        match *self {
            EModelCodec::G711 { .. } | EModelCodec::G722 | EModelCodec::Opus => 0.0,
            EModelCodec::G729A => 11.0,
            EModelCodec::G726_32 => 7.0,
            EModelCodec::Custom { ie, .. } => ie,
        }
    }

    /// Packet-loss robustness factor Bpl.
    pub fn bpl(&self) -> f64 {
        match *self {
            EModelCodec::G711 { plc: false } => 4.3,
            EModelCodec::G711 { plc: true }
            | EModelCodec::G726_32
            | EModelCodec::G722
            | EModelCodec::Opus => 25.1,
            EModelCodec::G729A => 19.0,
            EModelCodec::Custom { bpl, .. } => bpl,
        }
    }

    /// Default parameters with this codec's Ie and Bpl.
    pub fn params(&self) -> EModelParams {
        EModelParams {
            ie: self.ie(),
            bpl: self.bpl(),
            ..EModelParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn default_r_is_93_2_and_mos_4_41() {
        // G.107 (06/2015) §7.7, note: the Table 3 defaults give R = 93.2.
        let r = EModelParams::default().rate();
        assert!(close(r.r, 93.2, 0.05), "R = {}", r.r);
        assert!(close(r.mos, 4.41, 0.005), "MOS = {}", r.mos);
        assert!(close(r.ro, 94.77, 0.01), "Ro = {}", r.ro);
        assert!(close(r.is, 1.41, 0.01), "Is = {}", r.is);
    }

    #[test]
    fn mos_annex_b_end_points() {
        // G.107 Annex B: MOS 1 for R < 0, 4.5 for R > 100, cubic between.
        assert_eq!(mos_from_r(-5.0), 1.0);
        assert_eq!(mos_from_r(120.0), 4.5);
        assert!(close(mos_from_r(50.0), 2.575, 1e-9));
        assert!(close(mos_from_r(80.0), 4.02, 0.005));
        let mut prev = 0.0;
        for i in 0..=100 {
            let m = mos_from_r(f64::from(i));
            assert!(m >= prev, "MOS monotonic in R");
            prev = m;
        }
    }

    #[test]
    fn pure_delay_matches_g114_figure_1() {
        // ITU-T G.114 (05/2003) Figure 1 plots the E-model R against mouth-to-ear delay
        // Ta with echo fully controlled (other values default): R crosses 90 near 200 ms,
        // 80 near 290 ms and 70 near 390 ms; no impairment up to 100 ms.
        let at = |ta: f64| {
            EModelParams {
                ta_ms: ta,
                ..EModelParams::default()
            }
            .rate()
            .r
        };
        assert!(close(at(100.0), 93.2, 0.05));
        assert!(close(at(200.0), 90.0, 0.5), "{}", at(200.0));
        assert!(close(at(290.0), 80.0, 1.0), "{}", at(290.0));
        assert!(close(at(390.0), 70.0, 1.0), "{}", at(390.0));
    }

    #[test]
    fn delay_with_echo_matches_cole_rosenbluth() {
        // Cole & Rosenbluth, "Voice over IP performance monitoring", ACM SIGCOMM CCR 31(2),
        // 2001, fit the full G.107 delay impairment (default echo values, T = Ta) as
        // Id = 0.024 d + 0.11 (d − 177.3) H(d − 177.3): R(150) = 89.6, R(300) = 72.5 for
        // G.711 without loss.
        let at = |d: f64| {
            EModelParams {
                ta_ms: d,
                t_ms: d,
                tr_ms: 2.0 * d,
                ..EModelParams::default()
            }
            .rate()
        };
        assert!(close(at(150.0).r, 89.6, 0.5), "{}", at(150.0).r);
        assert!(close(at(300.0).r, 72.5, 0.5), "{}", at(300.0).r);
        // G.711, 0 loss, Ta = 150 ms: MOS-CQ 4.33, MOS-LQ stays at the 4.41 of no delay.
        assert!(close(at(150.0).mos, 4.33, 0.01));
        let lq = EModelParams {
            ta_ms: 150.0,
            t_ms: 150.0,
            tr_ms: 300.0,
            ..EModelParams::default()
        }
        .rate_listening();
        assert!(close(lq.mos, 4.41, 0.01), "{}", lq.mos);
    }

    #[test]
    fn ie_eff_with_loss_and_bursts() {
        // G.107 §7.5 eq. 7-29: Ie,eff = Ie + (95 − Ie) Ppl / (Ppl/BurstR + Bpl).
        let mut p = EModelCodec::G711 { plc: true }.params();
        p.ppl = 2.0;
        let r = p.rate();
        assert!(close(r.ie_eff, 95.0 * 2.0 / 27.1, 1e-9));
        assert!(close(r.r, 86.2, 0.05));
        p.burst_r = 2.0;
        assert!(p.rate().r < r.r, "bursty loss hurts more");
        // G.729A: Ie 11 => R = 93.2 - 11 with no loss.
        assert!(close(EModelCodec::G729A.params().rate().r, 82.2, 0.05));
        // Without PLC G.711 falls fast: 1 % loss, Bpl 4.3 => Ie,eff = 17.9.
        let mut np = EModelCodec::G711 { plc: false }.params();
        np.ppl = 1.0;
        assert!(close(np.rate().ie_eff, 95.0 / 5.3, 1e-9));
        assert_eq!(burst_ratio(0.0, 0.0), 1.0);
        // Random loss at rate l: p = l, q = 1 - l => BurstR = 1.
        assert!(close(burst_ratio(0.1, 0.9), 1.0, 1e-12));
    }
}
