package org.llmri.glm;

import org.hipparchus.special.Gamma;

/**
 * Haemodynamic response models, for parity with fMRI tools; a transformer has no haemodynamics, so llmri's
 * default is {@link #NONE} (a boxcar on the time-point grid). SPM's canonical and Glover's HRF are the
 * difference of two gamma densities as nilearn defines them, sampled at {@code tr / oversampling} over
 * 32 time units and normalised to sum 1; regressors are built on the oversampled grid, convolved and
 * linearly interpolated at the frame times, as nilearn's {@code compute_regressor} does.
 */
public enum Hrf {
    NONE, SPM, GLOVER;

    static final int OVERSAMPLING = 50;
    static final double TIME_LENGTH = 32;
    static final double MIN_ONSET = -24;

    public static Hrf parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "none" -> NONE;
            case "spm" -> SPM;
            case "glover" -> GLOVER;
            default -> throw new org.llmri.LlmriException("--hrf: unknown model '" + s + "' (none, spm, glover)");
        };
    }

    /** The kernel sampled every {@code tr / oversampling}, summing to 1 ({@code [1]} for NONE). */
    public double[] kernel(double tr, int oversampling) {
        return switch (this) {
            case NONE -> new double[] {1};
            case SPM -> gammaDifference(tr, oversampling, 6, 16, 1, 1, 0.167);
            case GLOVER -> gammaDifference(tr, oversampling, 6, 12, 0.9, 0.9, 0.48);
        };
    }

    static double[] gammaDifference(double tr, int oversampling, double delay, double undershoot,
                                    double dispersion, double uDispersion, double ratio) {
        double dt = tr / oversampling;
        int n = (int) Math.rint(TIME_LENGTH / dt);
        double[] h = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double t = n == 1 ? 0 : i * (TIME_LENGTH / (n - 1));
            h[i] = gammaPdf(t - dt, delay / dispersion, dispersion) - ratio * gammaPdf(t - dt, undershoot / uDispersion, uDispersion);
            sum += h[i];
        }
        for (int i = 0; i < n; i++) h[i] /= sum;
        return h;
    }

    private static double gammaPdf(double x, double shape, double scale) {
        if (x <= 0) return 0;
        double z = x / scale;
        return Math.exp((shape - 1) * Math.log(z) - z - Gamma.logGamma(shape)) / scale;
    }

    /**
     * One event's regressor at the frame times {@code t * tr}, t = 0..n-1: for NONE, 1 where
     * onset ≤ t·tr &lt; onset + duration; otherwise the oversampled boxcar convolved with the kernel.
     */
    double[] regressor(double onset, double duration, int n, double tr) {
        double[] out = new double[n];
        if (this == NONE) {
            for (int t = 0; t < n; t++) {
                double ft = t * tr;
                if (ft >= onset && ft < onset + duration) out[t] = 1;
            }
            return out;
        }
        double[] h = kernel(tr, OVERSAMPLING);
        double[] cum = new double[h.length];
        double s = 0;
        for (int i = 0; i < h.length; i++) cum[i] = (s += h[i]);
        // nilearn's high-resolution grid: from min_onset to the end of the last frame
        double ftMax = (n - 1) * tr;
        double nHr = n == 1 ? OVERSAMPLING + 1
                : ((n - 1) / ftMax * (ftMax * (1 + 1.0 / (n - 1)) - MIN_ONSET) * OVERSAMPLING) + 1;
        int m = (int) Math.rint(nHr);
        double start = MIN_ONSET, stop = n == 1 ? tr : ftMax * (1 + 1.0 / (n - 1));
        double step = (stop - start) / (m - 1);
        int on = Math.min(searchLeft(onset, start, step, m, stop), m - 1);
        int off = Math.min(searchLeft(onset + duration, start, step, m, stop), m - 1);
        if (off < m - 1 && off == on) off++;
        // the boxcar is 1 on hr samples [on, off); its convolution with h at sample i is cum[i-on] - cum[i-off]
        for (int t = 0; t < n; t++) {
            double ft = t * tr;
            double pos = (ft - start) / step;
            int i = Math.min(m - 2, Math.max(0, (int) Math.floor(pos)));
            // pin the bracketing samples exactly as interpolation on the grid values would
            double gi = hrTime(i, start, step, m, stop);
            if (gi > ft && i > 0) gi = hrTime(--i, start, step, m, stop);
            else if (hrTime(i + 1, start, step, m, stop) <= ft && i < m - 2) gi = hrTime(++i, start, step, m, stop);
            double gj = hrTime(i + 1, start, step, m, stop);
            double vi = boxConv(i, on, off, cum), vj = boxConv(i + 1, on, off, cum);
            out[t] = vi + (ft - gi) * (vj - vi) / (gj - gi);
        }
        return out;
    }

    private static double boxConv(int i, int on, int off, double[] cum) {
        if (off <= on) return 0;
        return cumAt(cum, i - on) - cumAt(cum, i - off);
    }

    private static double cumAt(double[] cum, int j) {
        if (j < 0) return 0;
        return cum[Math.min(j, cum.length - 1)];
    }

    private static double hrTime(int i, double start, double step, int m, double stop) {
        return i == m - 1 ? stop : start + i * step;
    }

    /** numpy's searchsorted(side='left') on the grid: the first index whose time is ≥ v. */
    private static int searchLeft(double v, double start, double step, int m, double stop) {
        int i = (int) Math.max(0, Math.min(m, Math.ceil((v - start) / step) - 1));
        while (i > 0 && hrTime(i - 1, start, step, m, stop) >= v) i--;
        while (i < m && hrTime(i, start, step, m, stop) < v) i++;
        return i;
    }
}
