package org.llmri.glm;

/**
 * A thresholded map: which units survive a correction at level alpha. {@code threshold} is in the units
 * of the tail-signed statistic for FWE (t or fixed-effects t), and the largest surviving uncorrected p
 * otherwise (NaN when none survives). {@code adjusted} is the FWE p, the BH q, the Bonferroni p or the
 * uncorrected tail p per unit.
 */
public record Significance(Correction correction, double alpha, Tail tail, double threshold, boolean[] mask, double[] adjusted) {
    public int count() {
        int c = 0;
        for (boolean b : mask) if (b) c++;
        return c;
    }

    /**
     * Thresholds a contrast's maps. {@code maxT} is needed for FWE (null otherwise).
     */
    public static Significance of(ContrastMaps m, Correction correction, double alpha, Tail tail, MaxT maxT, boolean[] constant) {
        Tail effTail = m.isF() ? Tail.POSITIVE : tail;
        double[] pTail = m.pFor(effTail);
        int n = m.units();
        boolean[] mask = new boolean[n];
        double[] adjusted;
        double threshold = Double.NaN;
        if (correction == Correction.FWE) {
            if (maxT == null) throw new IllegalStateException("FWE needs a max-T distribution");
            double[] signed = new double[n];
            for (int u = 0; u < n; u++) signed[u] = effTail.signed(m.stat()[u]);
            threshold = maxT.threshold(alpha);
            adjusted = maxT.pCorrected(signed);
            for (int u = 0; u < n; u++) mask[u] = signed[u] > threshold;
        } else {
            adjusted = switch (correction) {
                case FDR -> Corrections.benjaminiHochberg(pTail);
                case BONFERRONI -> Corrections.bonferroni(pTail);
                default -> pTail.clone();
            };
            for (int u = 0; u < n; u++) {
                mask[u] = adjusted[u] <= alpha;
                if (mask[u] && !(pTail[u] <= threshold)) threshold = Double.isNaN(threshold) ? pTail[u] : Math.max(threshold, pTail[u]);
            }
        }
        if (constant != null) for (int u = 0; u < n; u++) if (constant[u]) mask[u] = false;
        for (int u = 0; u < n; u++) if (Double.isNaN(m.stat()[u])) mask[u] = false;
        return new Significance(correction, alpha, effTail, threshold, mask, adjusted);
    }
}
