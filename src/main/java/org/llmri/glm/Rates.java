package org.llmri.glm;

import org.hipparchus.distribution.continuous.BetaDistribution;

/** Error rates with their exact (Clopper–Pearson) confidence intervals, for calibration reports. */
public final class Rates {
    private Rates() {}

    /** k events in n trials: the rate and its two-sided Clopper–Pearson interval at {@code confidence}. */
    public record Rate(int k, int n, double rate, double lower, double upper) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%d of %d (%.3f, 95%% CI %.3f-%.3f)", k, n, rate, lower, upper);
        }
    }

    public static Rate clopperPearson(int k, int n, double confidence) {
        if (n <= 0 || k < 0 || k > n) throw new IllegalArgumentException(k + " of " + n);
        double a = (1 - confidence) / 2;
        double lo = k == 0 ? 0 : new BetaDistribution(k, n - k + 1.0).inverseCumulativeProbability(a);
        double hi = k == n ? 1 : new BetaDistribution(k + 1.0, n - k).inverseCumulativeProbability(1 - a);
        return new Rate(k, n, k / (double) n, lo, hi);
    }
}
