package org.llmri.network;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Small statistics shared by the analyses here. */
final class Stats {
    private Stats() {}

    /** Pearson correlation over the units where both values are finite; NaN when either side is constant. */
    static double pearson(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        double sa = 0, sb = 0;
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Double.isFinite(a[i]) && Double.isFinite(b[i])) {
                sa += a[i];
                sb += b[i];
                n++;
            }
        }
        if (n < 2) return Double.NaN;
        double ma = sa / n, mb = sb / n, sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            if (Double.isFinite(a[i]) && Double.isFinite(b[i])) {
                double da = a[i] - ma, db = b[i] - mb;
                sab += da * db;
                saa += da * da;
                sbb += db * db;
            }
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }

    /** Pearson correlation of {@code a} and {@code b} over the listed positions only. */
    static double pearson(double[] a, double[] b, int[] over) {
        int n = over.length;
        if (n < 2) return Double.NaN;
        double sa = 0, sb = 0;
        for (int u : over) {
            sa += a[u];
            sb += b[u];
        }
        double ma = sa / n, mb = sb / n, sab = 0, saa = 0, sbb = 0;
        for (int u : over) {
            double da = a[u] - ma, db = b[u] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }

    /**
     * Benjamini–Hochberg: which p values are discoveries at false discovery rate {@code q}.
     * NaN p values are never discoveries and do not count as tests.
     */
    static boolean[] benjaminiHochberg(double[] p, double q) {
        Integer[] order = new Integer[p.length];
        int m = 0;
        for (int i = 0; i < p.length; i++) if (!Double.isNaN(p[i])) order[m++] = i;
        Integer[] valid = Arrays.copyOf(order, m);
        Arrays.sort(valid, (x, y) -> Double.compare(p[x], p[y]) != 0 ? Double.compare(p[x], p[y]) : Integer.compare(x, y));
        int last = -1;
        for (int k = 0; k < m; k++) if (p[valid[k]] <= (k + 1) * q / m) last = k;
        boolean[] out = new boolean[p.length];
        for (int k = 0; k <= last; k++) out[valid[k]] = true;
        return out;
    }

    /** The permutation p value (count + 1) / (n + 1): never zero, since the observed labelling is one of the permutations. */
    static double permutationP(int atLeastAsExtreme, int permutations) {
        return (atLeastAsExtreme + 1.0) / (permutations + 1.0);
    }

    /** A random stream for one named piece of work, independent of the order the pieces run in. */
    static SplittableRandom stream(long seed, long... keys) {
        long h = seed ^ 0x9E3779B97F4A7C15L;
        for (long k : keys) h = mix(h + k * 0xBF58476D1CE4E5B9L);
        return new SplittableRandom(mix(h));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static void shuffle(int[] a, SplittableRandom rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    static <T> void shuffle(T[] a, SplittableRandom rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    static double mean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (!Double.isNaN(x)) {
                s += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
