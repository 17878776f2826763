package org.llmri.glm;

import java.util.Arrays;

/**
 * Multiple-comparison corrections over units, as statsmodels' {@code multipletests} defines them.
 * NaN p values (units that could not be fitted) are kept as NaN and not counted.
 */
public final class Corrections {
    private Corrections() {}

    /** Bonferroni: min(1, m · p), m the number of non-NaN p values. */
    public static double[] bonferroni(double[] p) {
        int m = count(p);
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) out[i] = Double.isNaN(p[i]) ? Double.NaN : Math.min(1, p[i] * m);
        return out;
    }

    /** Benjamini–Hochberg q values: q_(i) = min over j ≥ i of m · p_(j) / j, capped at 1. */
    public static double[] benjaminiHochberg(double[] p) {
        int m = count(p);
        Integer[] order = new Integer[m];
        int k = 0;
        for (int i = 0; i < p.length; i++) if (!Double.isNaN(p[i])) order[k++] = i;
        // stable sort by p: ties keep unit order, so outputs are deterministic
        Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b]));
        double[] out = new double[p.length];
        Arrays.fill(out, Double.NaN);
        double running = 1;
        for (int r = m - 1; r >= 0; r--) {
            int i = order[r];
            running = Math.min(running, p[i] / ((r + 1) / (double) m)); // as statsmodels: p / ecdf factor
            out[i] = Math.min(1, running);
        }
        return out;
    }

    /** The largest p that BH declares significant at level q (0 when none is). */
    public static double bhCriticalP(double[] p, double q) {
        double[] adj = benjaminiHochberg(p);
        double crit = 0;
        for (int i = 0; i < p.length; i++) if (adj[i] <= q && p[i] > crit) crit = p[i];
        return crit;
    }

    private static int count(double[] p) {
        int m = 0;
        for (double v : p) if (!Double.isNaN(v)) m++;
        return m;
    }
}
