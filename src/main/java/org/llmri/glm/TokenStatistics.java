package org.llmri.glm;

import java.util.Arrays;
import org.llmri.LlmriException;

/**
 * The sufficient statistics of the token-level GLM for one run, accumulated row by row while a scan
 * streams, so that OLS and nilearn's exact AR(1) can be fitted without the activations
 * ({@link GlmFitter#fit(TokenStatistics)}).
 *
 * <p>Per unit, with x_t the design's row t (known before the run starts) and y_t the unit's value, in
 * float64: X'y, Σ_{t≥1} x_t y_{t−1}, Σ_{t≥1} x_{t−1} y_t (p values each), y'y, Σ_{t≥1} y_t y_{t−1}, Σ y,
 * y_0, y_{T−1}, min and max: 3p + 7 doubles. AR(1) whitening keeps row 0 and replaces row t by
 * z_t − ρ z_{t−1}, so Σ_t a^w_t b^w_t = S_ab − ρ(L_ab + L_ba) + ρ²(S_ab − a_{T−1} b_{T−1}) (S the full
 * cross-product, L the lag-1 one): every ρ bin's X̃'ỹ and ỹ'ỹ follow from these sums and the last row.
 * Stored as [statistic][unit].
 */
public final class TokenStatistics {
    final int timePoints, p, units, k;
    final double[] x; // [t][p]
    final double[] s; // [k][units]
    private int rows;

    public TokenStatistics(DesignMatrix design, int units) {
        this.timePoints = design.rows();
        this.p = design.cols();
        this.units = units;
        this.k = statisticsPerUnit(p);
        this.x = design.values().clone();
        long n = (long) k * units;
        if (n > Integer.MAX_VALUE - 8) throw new LlmriException("token statistics of " + units + " units exceed one array");
        this.s = new double[(int) n];
        Arrays.fill(s, off(MIN), off(MIN) + units, Double.POSITIVE_INFINITY);
        Arrays.fill(s, off(MAX), off(MAX) + units, Double.NEGATIVE_INFINITY);
    }

    /** Doubles per unit for a design of p columns. */
    public static int statisticsPerUnit(int p) {
        return 3 * p + 7;
    }

    // statistic indices after the three p-blocks (XY at 0, LXY at p: Σ x_t y_{t−1}, LYX at 2p: Σ x_{t−1} y_t)
    static final int YY = 0, LYY = 1, SUM = 2, FIRST = 3, LAST = 4, MIN = 5, MAX = 6;

    private int off(int scalar) {
        return (3 * p + scalar) * units;
    }

    public int units() {
        return units;
    }

    public int timePoints() {
        return timePoints;
    }

    public int rowsAdded() {
        return rows;
    }

    /** Adds the next time point's values of every unit (length ≥ units, from {@code from}). */
    public void add(float[] y, int from) {
        double[] row = new double[units];
        for (int u = 0; u < units; u++) row[u] = y[from + u];
        add(row);
    }

    /** Adds the next time point's values of every unit. */
    public void add(double[] y) {
        if (rows >= timePoints) throw new IllegalStateException("more rows than the design's " + timePoints);
        int t = rows, xt = t * p, xp = (t - 1) * p;
        int yy = off(YY), lyy = off(LYY), sum = off(SUM), first = off(FIRST), last = off(LAST), lo = off(MIN), hi = off(MAX);
        for (int j = 0; j < p; j++) {
            double a = x[xt + j];
            int o = j * units;
            for (int u = 0; u < units; u++) s[o + u] += a * y[u];
        }
        if (t > 0) {
            for (int j = 0; j < p; j++) {
                double a = x[xt + j], b = x[xp + j];
                int o1 = (p + j) * units, o2 = (2 * p + j) * units;
                for (int u = 0; u < units; u++) {
                    s[o1 + u] += a * s[last + u];
                    s[o2 + u] += b * y[u];
                }
            }
            for (int u = 0; u < units; u++) s[lyy + u] += y[u] * s[last + u];
        } else {
            System.arraycopy(y, 0, s, first, units);
        }
        for (int u = 0; u < units; u++) {
            double v = y[u];
            s[yy + u] += v * v;
            s[sum + u] += v;
            s[last + u] = v;
            if (v < s[lo + u]) s[lo + u] = v;
            if (v > s[hi + u]) s[hi + u] = v;
        }
        rows++;
    }

    double xy(int j, int u) {
        return s[j * units + u];
    }

    double lagXY(int j, int u) { // Σ x_t y_{t−1}
        return s[(p + j) * units + u];
    }

    double lagYX(int j, int u) { // Σ x_{t−1} y_t
        return s[(2 * p + j) * units + u];
    }

    double scalar(int which, int u) {
        return s[off(which) + u];
    }

    /** The raw statistics, [3p + 7][units] flattened (for writing). */
    public double[] values() {
        return s;
    }

    boolean sameDesign(DesignMatrix d) {
        return d.rows() == timePoints && d.cols() == p && Arrays.equals(d.values(), x);
    }
}
