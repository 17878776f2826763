package org.llmri.glm;

/**
 * One contrast's maps over units, as nilearn's compute_contrast gives them. For a t contrast: effect
 * (c'β), variance (of the effect), stat (t), z and p (one-sided, P(T > t)). For an F contrast with q rows:
 * effect and variance hold q rows of {@code units} values each (row-major), stat is F with
 * ({@code dof1}, {@code dof}) degrees of freedom, p = P(F' > F) and z its normal equivalent.
 * p never rounds to 0 (≥ {@link Double#MIN_VALUE}); z is computed from log p, so it stays exact far out.
 */
public record ContrastMaps(String label, boolean isF, int units, double dof, double dof1,
                           double[] effect, double[] variance, double[] stat, double[] z, double[] p) {

    /** Fills z and p from stat (t or F) and the degrees of freedom. */
    static void fillZP(boolean isF, double dof1, double dof, double[] stat, double[] z, double[] p, boolean[] constant) {
        for (int u = 0; u < stat.length; u++) {
            double s = stat[u];
            if (constant != null && constant[u]) {
                z[u] = 0;
                p[u] = isF ? 1 : 0.5;
                continue;
            }
            if (Double.isNaN(s)) {
                z[u] = Double.NaN;
                p[u] = Double.NaN;
                continue;
            }
            if (isF) {
                double lp = Distributions.logSfF(s, dof1, dof);
                p[u] = Distributions.clampP(Math.exp(lp));
                z[u] = Distributions.zFromLogSf(lp);
            } else {
                double lp = Distributions.logSfT(s, dof);
                p[u] = Distributions.clampP(Math.exp(lp));
                z[u] = Distributions.zFromT(s, dof);
            }
        }
    }

    /**
     * The p value a correction uses for each unit under the chosen tail: one-sided upper, lower, or
     * two-sided (2 · min). F contrasts are always upper-tailed.
     */
    public double[] pFor(Tail tail) {
        double[] out = new double[units];
        for (int u = 0; u < units; u++) {
            double s = stat[u];
            if (Double.isNaN(s)) {
                out[u] = Double.NaN;
                continue;
            }
            if (isF) {
                out[u] = p[u];
                continue;
            }
            out[u] = switch (tail) {
                case POSITIVE -> p[u];
                case NEGATIVE -> Distributions.clampP(Math.exp(Distributions.logSfT(-s, dof)));
                case TWO_SIDED -> s == 0 ? 1 : Distributions.clampP(2 * Math.exp(Distributions.logSfT(Math.abs(s), dof)));
            };
        }
        return out;
    }
}
