package org.llmri.glm;

import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;

/**
 * Slow drift regressors, as nilearn builds them; each model ends with the {@code constant} column (the
 * intercept). {@code none}: the constant alone. {@code polynomial:K}: (t/t_max)^k for k = 1..K,
 * orthogonalised in order against the lower powers. {@code cosine:CUTOFF}: the DCT-II basis up to the
 * frequency 1/CUTOFF (CUTOFF in time units, e.g. 128 for SPM's 128 s high-pass filter).
 */
public sealed interface Drift {
    record None() implements Drift {}

    record Polynomial(int order) implements Drift {}

    record Cosine(double cutoff) implements Drift {}

    static Drift parse(String s) {
        String v = s.strip().toLowerCase(java.util.Locale.ROOT);
        try {
            if (v.equals("none")) return new None();
            if (v.startsWith("polynomial:")) {
                int k = Integer.parseInt(v.substring("polynomial:".length()));
                if (k < 1 || k > 50) throw new LlmriException("--drift: polynomial order must be 1..50, got " + k);
                return new Polynomial(k);
            }
            if (v.startsWith("cosine:")) {
                double c = Double.parseDouble(v.substring("cosine:".length()));
                if (!(c > 0) || Double.isInfinite(c)) throw new LlmriException("--drift: cosine cutoff must be a positive period, got " + c);
                return new Cosine(c);
            }
        } catch (NumberFormatException e) {
            // fall through to the usage message
        }
        throw new LlmriException("--drift: expected none, polynomial:K or cosine:CUTOFF, got '" + s + "'");
    }

    /** Column names (the drift columns then "constant"). */
    default List<String> names(int n, double tr) {
        int k = columns(n, tr).length;
        List<String> out = new ArrayList<>();
        for (int i = 1; i < k; i++) out.add("drift_" + i);
        out.add("constant");
        return out;
    }

    /** The columns, [column][time]; the last is the constant. */
    default double[][] columns(int n, double tr) {
        return switch (this) {
            case None ignored -> new double[][] {ones(n)};
            case Polynomial p -> polynomial(p.order(), n, tr);
            case Cosine c -> cosine(c.cutoff(), n, tr);
        };
    }

    private static double[] ones(int n) {
        double[] o = new double[n];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    private static double[][] polynomial(int order, int n, double tr) {
        double tmax = Math.max((n - 1) * tr, Double.MIN_NORMAL);
        double[][] pol = new double[order + 1][n];
        for (int k = 0; k <= order; k++)
            for (int t = 0; t < n; t++) pol[k][t] = Math.pow(t * tr / tmax, k);
        // each power minus its projection on the lower ones (nilearn's _orthogonalize)
        for (int i = 1; i <= order; i++) {
            for (int j = 0; j < i; j++) {
                double num = Linalg.dot(pol[i], pol[j]), den = Linalg.dot(pol[j], pol[j]);
                if (den == 0) continue;
                double f = num / den;
                for (int t = 0; t < n; t++) pol[i][t] -= f * pol[j][t];
            }
        }
        double[][] out = new double[order + 1][];
        for (int k = 1; k <= order; k++) out[k - 1] = pol[k];
        out[order] = pol[0];
        return out;
    }

    private static double[][] cosine(double cutoff, int n, double tr) {
        double highPass = 1 / cutoff;
        int order = (int) Math.min(n - 1, Math.floor(2 * n * highPass * tr));
        double[][] out = new double[Math.max(order, 0) + 1][n];
        double norm = Math.sqrt(2.0 / n);
        for (int k = 1; k <= order; k++)
            for (int t = 0; t < n; t++) out[k - 1][t] = norm * Math.cos(Math.PI / n * (t + 0.5) * k);
        java.util.Arrays.fill(out[Math.max(order, 0)], 1);
        return out;
    }
}
