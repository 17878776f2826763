package org.llmri.glm;

import java.util.Arrays;

/**
 * A max-T null distribution: for each permutation (the first is the observed labelling) the largest
 * tail-signed statistic over all units. A unit's FWE-corrected p is the fraction of permutations whose
 * maximum reaches its statistic; at level alpha the units with p ≤ alpha are those above
 * {@link #threshold(double)}.
 */
public record MaxT(double[] maxima) {
    public MaxT {
        maxima = maxima.clone();
    }

    public int permutations() {
        return maxima.length;
    }

    /** The statistic a unit must exceed: the (⌊alpha·N⌋ + 1)-th largest maximum. */
    public double threshold(double alpha) {
        double[] s = maxima.clone();
        Arrays.sort(s);
        int allowed = (int) Math.floor(alpha * s.length + 1e-9);
        int idx = s.length - 1 - allowed;
        return idx < 0 ? Double.NEGATIVE_INFINITY : s[idx];
    }

    /** FWE-corrected p of a tail-signed statistic: #{maxima ≥ stat} / N (at least 1/N, since the observed is one). */
    public double pCorrected(double stat) {
        if (Double.isNaN(stat)) return Double.NaN;
        int count = 0;
        for (double m : maxima) if (m >= stat) count++;
        return Math.max(count, 1) / (double) maxima.length;
    }

    /** Corrected p for every unit, by binary search in the sorted maxima. */
    public double[] pCorrected(double[] stats) {
        double[] s = maxima.clone();
        Arrays.sort(s);
        double[] out = new double[stats.length];
        for (int i = 0; i < stats.length; i++) {
            double v = stats[i];
            if (Double.isNaN(v)) {
                out[i] = Double.NaN;
                continue;
            }
            // first index with s[idx] >= v
            int lo = 0, hi = s.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (s[mid] >= v) hi = mid;
                else lo = mid + 1;
            }
            out[i] = Math.max(s.length - lo, 1) / (double) s.length;
        }
        return out;
    }
}
