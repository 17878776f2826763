package org.llmri.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.llmri.LlmriException;
import org.llmri.io.Npy;

/**
 * The sufficient statistics of the token-level GLM for one run, accumulated row by row while a scan
 * streams, so that OLS and nilearn's exact AR(1) can be fitted without the activations
 * ({@code GlmFitter.fit(TokenStatistics)}).
 *
 * <p>Per unit, with x_t the design's row t (known before the run starts) and y_t the unit's value, in
 * float64: X'y, Σ_{t≥1} x_t y_{t−1}, Σ_{t≥1} x_{t−1} y_t (p values each), y'y, Σ_{t≥1} y_t y_{t−1}, Σ y,
 * y_0, y_{T−1}, min and max: 3p + 7 doubles. AR(1) whitening keeps row 0 and replaces row t by
 * z_t − ρ z_{t−1}, so Σ_t a^w_t b^w_t = S_ab − ρ(L_ab + L_ba) + ρ²(S_ab − a_{T−1} b_{T−1}) (S the full
 * cross-product, L the lag-1 one): every ρ bin's X̃'ỹ and ỹ'ỹ follow from these sums and the last row.
 * Stored as [statistic][unit].
 *
 * <p>Files: {@code <run prefix>_tokenstats.npy}, float64 [3p + 7, units], and the design it was accumulated
 * with, {@code <run prefix>_tokendesign.npy}, float64 [time, p] (the GLM uses the statistics only when its
 * own design equals this one). Memory while scanning: 8 (3p + 7) bytes per unit, plus the rows held for a
 * lag pair (float32, at most two per prompt of a forward step).
 */
public final class TokenStatistics {
    /** A run's design matrix, [rows][cols] row-major, as plain values (the scanner gets it from the GLM's defaults). */
    public record Design(double[] values, int rows, int cols) {}

    final int timePoints, p, units, k;
    final double[] x; // [t][p]
    final double[] s; // [k][units]
    private final boolean f16;
    private final java.util.BitSet seen;
    private final java.util.Map<Integer, float[]> pending = new java.util.HashMap<>(); // exact: rows are floats as stored
    private int rows;

    public TokenStatistics(Design design, int units) {
        this(design, units, false);
    }

    /** @param f16 the rows are stored as f16: accumulate the stored (rounded) values */
    public TokenStatistics(Design design, int units, boolean f16) {
        this.f16 = f16;
        this.seen = new java.util.BitSet(design.rows());
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
    public static final int YY = 0, LYY = 1, SUM = 2, FIRST = 3, LAST = 4, MIN = 5, MAX = 6;

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
        add(rows, y, from);
    }

    /** Adds the next time point's values of every unit, as float32 (the activations' precision). */
    public void add(double[] y) {
        float[] f = new float[units];
        for (int u = 0; u < units; u++) f[u] = (float) y[u];
        add(rows, f, 0);
    }

    /**
     * Adds time point t's values (length ≥ units, from {@code from}). Rows may come in any order (a generation
     * batch interleaves its prompts); each lag-1 pair is added once both rows are in, so only rows whose
     * neighbour has not come yet are held (in time order, one per prompt being scanned at once).
     */
    public void add(int t, float[] y, int from) {
        double[] d = new double[units];
        if (f16) {
            for (int u = 0; u < units; u++) d[u] = Float.float16ToFloat(Float.floatToFloat16(y[from + u]));
        } else {
            for (int u = 0; u < units; u++) d[u] = y[from + u];
        }
        addRow(t, d);
    }

    private void addRow(int t, double[] y) {
        if (t < 0 || t >= timePoints) throw new IllegalStateException("time point " + t + " outside the design's " + timePoints);
        if (seen.get(t)) throw new IllegalStateException("time point " + t + " added twice");
        seen.set(t);
        int xt = t * p;
        int yy = off(YY), sum = off(SUM), lo = off(MIN), hi = off(MAX);
        for (int j = 0; j < p; j++) {
            double a = x[xt + j];
            int o = j * units;
            for (int u = 0; u < units; u++) s[o + u] += a * y[u];
        }
        for (int u = 0; u < units; u++) {
            double v = y[u];
            s[yy + u] += v * v;
            s[sum + u] += v;
            if (v < s[lo + u]) s[lo + u] = v;
            if (v > s[hi + u]) s[hi + u] = v;
        }
        if (t == 0) System.arraycopy(y, 0, s, off(FIRST), units);
        if (t == timePoints - 1) System.arraycopy(y, 0, s, off(LAST), units);
        double[] before = widen(pending.get(t - 1)), after = widen(pending.get(t + 1));
        if (before != null) {
            lagPair(t, before, y);
            if (t - 2 < 0 || seen.get(t - 2)) pending.remove(t - 1);
        }
        if (after != null) {
            lagPair(t + 1, y, after);
            if (t + 2 >= timePoints || seen.get(t + 2)) pending.remove(t + 1);
        }
        boolean needBefore = t > 0 && !seen.get(t - 1), needAfter = t < timePoints - 1 && !seen.get(t + 1);
        if (needBefore || needAfter) {
            float[] f = new float[units];
            for (int u = 0; u < units; u++) f[u] = (float) y[u];
            pending.put(t, f);
        }
        rows++;
    }

    private static double[] widen(float[] f) {
        if (f == null) return null;
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The lag-1 terms of rows t−1 (prev) and t (cur). */
    private void lagPair(int t, double[] prev, double[] cur) {
        int xt = t * p, xp = (t - 1) * p, lyy = off(LYY);
        for (int j = 0; j < p; j++) {
            double a = x[xt + j], b = x[xp + j];
            int o1 = (p + j) * units, o2 = (2 * p + j) * units;
            for (int u = 0; u < units; u++) {
                s[o1 + u] += a * prev[u];
                s[o2 + u] += b * cur[u];
            }
        }
        for (int u = 0; u < units; u++) s[lyy + u] += cur[u] * prev[u];
    }

    /** Rows held for a lag pair still to come (for tests and the memory estimate). */
    public int heldRows() {
        return pending.size();
    }

    public double xy(int j, int u) {
        return s[j * units + u];
    }

    public double lagXY(int j, int u) { // Σ x_t y_{t−1}
        return s[(p + j) * units + u];
    }

    public double lagYX(int j, int u) { // Σ x_{t−1} y_t
        return s[(2 * p + j) * units + u];
    }

    public double scalar(int which, int u) {
        return s[off(which) + u];
    }

    /** The raw statistics, [3p + 7][units] flattened (for writing). */
    public double[] values() {
        return s;
    }

    /** Whether these statistics were accumulated with exactly this design. */
    public boolean sameDesign(double[] values, int rows, int cols) {
        return rows == timePoints && cols == p && Arrays.equals(values, x);
    }

    /** The design the statistics were accumulated with. */
    public Design design() {
        return new Design(x.clone(), timePoints, p);
    }

    /** Heap bytes of one run's statistics: 8 (3p + 7) per unit. */
    public static long bytes(int p, long units) {
        return 8L * statisticsPerUnit(p) * units;
    }

    /** Writes the design, then the statistics, each atomically (a temporary name, then a rename); all rows must be in. */
    public void write(Path stats, Path design) {
        if (rows != timePoints || !pending.isEmpty()) throw new IllegalStateException(stats + ": " + rows + " of " + timePoints + " time points added");
        Npy.write(design, x, timePoints, p);
        Npy.write(stats, s, k, units);
    }

    /** Reads a run's statistics and their design; null when either file is missing. */
    public static TokenStatistics read(Path stats, Path design) {
        if (!Files.isRegularFile(stats) || !Files.isRegularFile(design)) return null;
        Npy.Header dh = Npy.readHeader(design), sh = Npy.readHeader(stats);
        if (dh.dtype() != Npy.Dtype.F64 || dh.shape().length != 2 || dh.shape()[0] < 2 || dh.shape()[1] < 1) {
            throw new LlmriException(design + ": expected a float64 [time, columns] design, found " + dh.dtype() + " " + Arrays.toString(dh.shape()));
        }
        int rows = (int) dh.shape()[0], cols = (int) dh.shape()[1];
        if (sh.dtype() != Npy.Dtype.F64 || sh.shape().length != 2 || sh.shape()[0] != statisticsPerUnit(cols)) {
            throw new LlmriException(stats + ": expected float64 [" + statisticsPerUnit(cols) + ", units], found " + sh.dtype() + " " + Arrays.toString(sh.shape()));
        }
        TokenStatistics t = new TokenStatistics(new Design(Npy.readDoubles(design), rows, cols), (int) sh.shape()[1]);
        double[] v = Npy.readDoubles(stats);
        System.arraycopy(v, 0, t.s, 0, v.length);
        for (double d : v) if (Double.isNaN(d)) throw new LlmriException(stats + ": holds NaN");
        t.rows = rows;
        t.seen.set(0, rows);
        return t;
    }
}
