package org.llmri.glm;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.llmri.LlmriException;

/**
 * Max-T permutation for one t contrast over one or more runs (fixed effects across runs). The exchangeable
 * units are the events (prompts): a permutation shuffles the condition labels across a run's events, each
 * event keeping its own time points, and rebuilds the condition columns from the events' own regressors;
 * runs are shuffled independently. Permutation 0 is the observed labelling.
 *
 * <p>Every permutation recomputes the whole statistic the observed map uses: OLS fit, the residuals'
 * Yule–Walker AR(1) coefficient and its 1/bins truncation, the whitened refit, the t of each run and the
 * fixed-effects t across runs. It does so from sufficient statistics gathered once per unit (projections of
 * the centred series, and of its one-step lags, onto each event's regressor and each fixed column), so
 * that a permutation costs a few hundred operations per unit instead of a pass over the data.
 * This needs the constant in the design (always true for designs built from events).
 */
public final class PermutationEngine {
    private final List<RunModel> runs;
    private final double[][] contrasts;
    private final boolean ar;
    private final int bins;
    private final int permutations;
    private final Tail tail;
    /** labels[run][perm][segment] */
    private final int[][][] labels;
    /** models[run][perm] */
    private final PermModel[][] models;

    /**
     * @param designs one design per run, all with the same columns, built from events
     * @param contrasts t contrasts over those columns
     */
    public PermutationEngine(List<DesignMatrix> designs, List<double[]> contrasts, NoiseModel noise, int permutations, long seed, Tail tail) {
        if (permutations < 1) throw new LlmriException("--permutations must be at least 1");
        this.contrasts = contrasts.stream().map(double[]::clone).toArray(double[][]::new);
        this.ar = noise instanceof NoiseModel.Ar1;
        this.bins = noise instanceof NoiseModel.Ar1 a ? a.bins() : 1;
        this.permutations = permutations;
        this.tail = tail;
        this.runs = new ArrayList<>();
        for (DesignMatrix d : designs) {
            if (d.segments().isEmpty()) {
                throw new LlmriException("max-T permutation needs events (the events are the exchangeable units); "
                        + "with --design use --correction fdr, bonferroni or none");
            }
            if (!d.names().equals(designs.get(0).names())) {
                throw new LlmriException("runs have different design columns (" + d.names() + " vs " + designs.get(0).names() + ")");
            }
            runs.add(new RunModel(d));
        }
        SplittableRandom root = new SplittableRandom(seed);
        labels = new int[runs.size()][permutations][];
        models = new PermModel[runs.size()][permutations];
        for (int r = 0; r < runs.size(); r++) {
            RunModel rm = runs.get(r);
            SplittableRandom rng = root.split();
            for (int k = 0; k < permutations; k++) {
                int[] l = rm.observed.clone();
                if (k > 0) {
                    for (int i = l.length - 1; i > 0; i--) { // Fisher–Yates
                        int j = rng.nextInt(i + 1);
                        int tmp = l[i];
                        l[i] = l[j];
                        l[j] = tmp;
                    }
                }
                labels[r][k] = l;
                models[r][k] = new PermModel(rm, l);
            }
        }
    }

    public int permutations() {
        return permutations;
    }

    public int runCount() {
        return runs.size();
    }

    /** A run's design, its event regressors and their cross products. */
    private final class RunModel {
        final int T, m, f, p, S;
        final int[] observed;
        final int[][] segAt;
        final double[][] hAt;
        final double[][] fixed; // [k][T]
        final double[][] hh, hdh, hf, hdf, fdh, ff, fdf;
        final double[] hLast, fLast, hSum, hSum1, hSum0, fSum, fSum1, fSum0;
        final double dof;

        RunModel(DesignMatrix d) {
            T = d.rows();
            m = d.conditions();
            p = d.cols();
            f = p - m;
            List<DesignMatrix.Segment> segs = d.segments();
            S = segs.size();
            observed = new int[S];
            double[][] h = new double[S][T];
            for (int s = 0; s < S; s++) {
                DesignMatrix.Segment g = segs.get(s);
                observed[s] = g.condition();
                for (int i = 0; i < g.values().length; i++) h[s][g.start() + i] = g.values()[i];
            }
            fixed = new double[f][];
            for (int k = 0; k < f; k++) fixed[k] = d.column(m + k);
            int[] count = new int[T];
            for (int s = 0; s < S; s++) for (int t = 0; t < T; t++) if (h[s][t] != 0) count[t]++;
            segAt = new int[T][];
            hAt = new double[T][];
            for (int t = 0; t < T; t++) {
                segAt[t] = new int[count[t]];
                hAt[t] = new double[count[t]];
                int i = 0;
                for (int s = 0; s < S; s++) if (h[s][t] != 0) { segAt[t][i] = s; hAt[t][i++] = h[s][t]; }
            }
            hh = new double[S][S];
            hdh = new double[S][S];
            hf = new double[S][f];
            hdf = new double[S][f];
            fdh = new double[f][S];
            ff = new double[f][f];
            fdf = new double[f][f];
            hLast = new double[S];
            hSum = new double[S];
            hSum1 = new double[S];
            hSum0 = new double[S];
            for (int s = 0; s < S; s++) {
                for (int s2 = 0; s2 < S; s2++) {
                    hh[s][s2] = dot(h[s], h[s2], 0);
                    hdh[s][s2] = dot(h[s], h[s2], 1);
                }
                for (int k = 0; k < f; k++) {
                    hf[s][k] = dot(h[s], fixed[k], 0);
                    hdf[s][k] = dot(h[s], fixed[k], 1);
                    fdh[k][s] = dot(fixed[k], h[s], 1);
                }
                hLast[s] = h[s][T - 1];
                for (int t = 0; t < T; t++) {
                    hSum[s] += h[s][t];
                    if (t >= 1) hSum1[s] += h[s][t];
                    if (t <= T - 2) hSum0[s] += h[s][t];
                }
            }
            fLast = new double[f];
            fSum = new double[f];
            fSum1 = new double[f];
            fSum0 = new double[f];
            for (int k = 0; k < f; k++) {
                for (int k2 = 0; k2 < f; k2++) {
                    ff[k][k2] = dot(fixed[k], fixed[k2], 0);
                    fdf[k][k2] = dot(fixed[k], fixed[k2], 1);
                }
                fLast[k] = fixed[k][T - 1];
                for (int t = 0; t < T; t++) {
                    fSum[k] += fixed[k][t];
                    if (t >= 1) fSum1[k] += fixed[k][t];
                    if (t <= T - 2) fSum0[k] += fixed[k][t];
                }
            }
            Linalg.Pinv pv = Linalg.pinv(d.values(), T, p);
            if (!spansConstant(d, pv)) throw new LlmriException("max-T permutation needs the constant in the design");
            if (pv.condition() > 1e5) {
                throw new LlmriException("the design is too ill-conditioned (condition number " + String.format("%.3g", pv.condition())
                        + ") for max-T permutation; simplify it or use --correction fdr");
            }
            dof = T - pv.rank();
        }

        /** Σ_{t ≥ lag} a[t] b[t − lag] */
        private double dot(double[] a, double[] b, int lag) {
            double s = 0;
            for (int t = lag; t < a.length; t++) s += a[t] * b[t - lag];
            return s;
        }

        private boolean spansConstant(DesignMatrix d, Linalg.Pinv pv) {
            double[] b = new double[p];
            for (int j = 0; j < p; j++) for (int t = 0; t < T; t++) b[j] += pv.pinv()[j][t];
            double ss = 0;
            for (int t = 0; t < T; t++) {
                double fit = 0;
                for (int j = 0; j < p; j++) fit += d.values()[t * p + j] * b[j];
                ss += (1 - fit) * (1 - fit);
            }
            return Math.sqrt(ss) <= 1e-8 * Math.sqrt(T);
        }
    }

    /** One relabelling of one run: its Gram matrices and, per AR bin, the refit's pieces. */
    private final class PermModel {
        final RunModel run;
        final int[] label;
        final double[][] g, gPinv, m1Sym, m1;
        final double[] xLast, colSum, colSum1, colSum0;
        final Bin[] binCache;
        final Bin ols;

        record Bin(double[][] gPinv, double[] tFactor, double[] shift) {}

        PermModel(RunModel run, int[] label) {
            this.run = run;
            this.label = label;
            int p = run.p, m = run.m;
            g = new double[p][p];
            m1 = new double[p][p];
            xLast = new double[p];
            colSum = new double[p];
            colSum1 = new double[p];
            colSum0 = new double[p];
            for (int s = 0; s < run.S; s++) {
                int c = label[s];
                for (int s2 = 0; s2 < run.S; s2++) {
                    g[c][label[s2]] += run.hh[s][s2];
                    m1[c][label[s2]] += run.hdh[s][s2];
                }
                for (int k = 0; k < run.f; k++) {
                    g[c][m + k] += run.hf[s][k];
                    g[m + k][c] += run.hf[s][k];
                    m1[c][m + k] += run.hdf[s][k];
                    m1[m + k][c] += run.fdh[k][s];
                }
                xLast[c] += run.hLast[s];
                colSum[c] += run.hSum[s];
                colSum1[c] += run.hSum1[s];
                colSum0[c] += run.hSum0[s];
            }
            for (int k = 0; k < run.f; k++) {
                for (int k2 = 0; k2 < run.f; k2++) {
                    g[m + k][m + k2] = run.ff[k][k2];
                    m1[m + k][m + k2] = run.fdf[k][k2];
                }
                xLast[m + k] = run.fLast[k];
                colSum[m + k] = run.fSum[k];
                colSum1[m + k] = run.fSum1[k];
                colSum0[m + k] = run.fSum0[k];
            }
            m1Sym = new double[p][p];
            for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) m1Sym[i][j] = 0.5 * (m1[i][j] + m1[j][i]);
            gPinv = Linalg.pinvSymmetric(g, 1e-11, null);
            ols = bin(0.0);
            binCache = new Bin[2 * bins + 3];
        }

        Bin forBin(int k) {
            if (k == 0) return ols;
            int idx = k + bins + 1;
            Bin b = binCache[idx];
            if (b != null) return b;
            synchronized (this) {
                b = binCache[idx];
                if (b == null) {
                    b = bin(k * 1.0 / bins);
                    binCache[idx] = b;
                }
                return b;
            }
        }

        private Bin bin(double r) {
            int p = run.p;
            double[][] gw = new double[p][p];
            double a = 1 + r * r, r2 = r * r;
            for (int i = 0; i < p; i++)
                for (int j = 0; j < p; j++) gw[i][j] = a * g[i][j] - 2 * r * m1Sym[i][j] - r2 * xLast[i] * xLast[j];
            double[][] gp = r == 0 ? gPinv : Linalg.pinvSymmetric(gw, 1e-11, null);
            double[] xq1 = new double[p];
            for (int j = 0; j < p; j++) xq1[j] = a * colSum[j] - r * (colSum1[j] + colSum0[j]) - r2 * xLast[j];
            double[] b1 = new double[p];
            for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) b1[i] += gp[i][j] * xq1[j];
            double[] shift = new double[contrasts.length], tFactor = new double[contrasts.length];
            for (int c = 0; c < contrasts.length; c++) {
                shift[c] = Linalg.dot(contrasts[c], b1);
                tFactor[c] = Linalg.quad(contrasts[c], gp);
            }
            return new Bin(gp, tFactor, shift);
        }
    }

    /** A slab's per-unit sufficient statistics for one run. */
    public final class RunStats {
        final RunModel run;
        final int width;
        final double[][] a, b, c; // [segment][unit]: h_s'y, h_s'(y lagged by 1), h_s'(y led by 1)
        final double[][] fy, fdy, fdty; // [fixed column][unit]
        final double[] yy, ydy, ylast, mean;
        final boolean[] constant;

        RunStats(RunModel run, int width) {
            this.run = run;
            this.width = width;
            a = new double[run.S][width];
            b = new double[run.S][width];
            c = new double[run.S][width];
            fy = new double[run.f][width];
            fdy = new double[run.f][width];
            fdty = new double[run.f][width];
            yy = new double[width];
            ydy = new double[width];
            ylast = new double[width];
            mean = new double[width];
            constant = new boolean[width];
        }

        void clear() {
            for (double[][] arr : new double[][][] {a, b, c, fy, fdy, fdty}) for (double[] v : arr) java.util.Arrays.fill(v, 0);
            java.util.Arrays.fill(yy, 0);
            java.util.Arrays.fill(ydy, 0);
        }

        /** Adds the sums of slab columns [c0, c0 + nv); {@code sum} holds each column's total (from the fit pass). */
        void accumulate(double[] y, int stride, int c0, int nv, GlmFitter.Workspace w) {
            int T = run.T;
            for (int u = 0; u < nv; u++) {
                mean[c0 + u] = w.sum[u] / T;
                constant[c0 + u] = w.lo[u] == w.hi[u];
            }
            double[] yc = new double[nv], ycPrev = new double[nv], ycNext = new double[nv];
            for (int u = 0; u < nv; u++) yc[u] = y[c0 + u] - mean[c0 + u];
            for (int t = 0; t < T; t++) {
                int off = t * stride + c0;
                boolean hasNext = t + 1 < T;
                if (hasNext) for (int u = 0; u < nv; u++) ycNext[u] = y[off + stride + u] - mean[c0 + u];
                for (int u = 0; u < nv; u++) {
                    double v = yc[u];
                    yy[c0 + u] += v * v;
                    if (t > 0) ydy[c0 + u] += v * ycPrev[u];
                }
                int[] segs = run.segAt[t];
                double[] hs = run.hAt[t];
                for (int i = 0; i < segs.length; i++) {
                    double h = hs[i];
                    double[] as = a[segs[i]], bs = b[segs[i]], cs = c[segs[i]];
                    for (int u = 0; u < nv; u++) as[c0 + u] += h * yc[u];
                    if (t > 0) for (int u = 0; u < nv; u++) bs[c0 + u] += h * ycPrev[u];
                    if (hasNext) for (int u = 0; u < nv; u++) cs[c0 + u] += h * ycNext[u];
                }
                for (int k = 0; k < run.f; k++) {
                    double fv = run.fixed[k][t];
                    if (fv == 0) continue;
                    double[] fyk = fy[k], fdyk = fdy[k], fdtyk = fdty[k];
                    for (int u = 0; u < nv; u++) fyk[c0 + u] += fv * yc[u];
                    if (t > 0) for (int u = 0; u < nv; u++) fdyk[c0 + u] += fv * ycPrev[u];
                    if (hasNext) for (int u = 0; u < nv; u++) fdtyk[c0 + u] += fv * ycNext[u];
                }
                double[] tmp = ycPrev;
                ycPrev = yc;
                yc = ycNext;
                ycNext = tmp;
            }
            for (int u = 0; u < nv; u++) ylast[c0 + u] = ycPrev[u];
        }
    }

    public RunStats newStats(int run, int width) {
        return new RunStats(runs.get(run), width);
    }

    /**
     * Runs every permutation over the slab's {@code n} units whose statistics are in {@code stats} (one per
     * run), raising {@code maxRun[contrast][run][perm]} (per-run t) and {@code maxFixed[contrast][perm]}
     * (fixed-effects t across runs) to the slab's maxima of the tail-signed statistic.
     */
    public void permute(RunStats[] stats, int n, double[][][] maxRun, double[][] maxFixed) {
        int R = runs.size(), C = contrasts.length;
        double[][][] eff = new double[C][R][n], var = new double[C][R][n];
        Scratch sc = new Scratch(runs.get(0).p, n);
        for (int k = 0; k < permutations; k++) {
            for (int r = 0; r < R; r++) {
                runStatistic(models[r][k], stats[r], n, eff, var, r, sc);
                for (int c = 0; c < C; c++) {
                    double mx = maxRun[c][r][k];
                    double[] e = eff[c][r], v = var[c][r];
                    for (int u = 0; u < n; u++) {
                        double s = tail.signed(e[u] / Math.sqrt(Math.max(v[u], GlmFitter.TINY)));
                        if (s > mx) mx = s;
                    }
                    maxRun[c][r][k] = mx;
                }
            }
            if (R > 1) {
                for (int c = 0; c < C; c++) {
                    double mx = maxFixed[c][k];
                    for (int u = 0; u < n; u++) {
                        double num = 0, den = 0;
                        for (int r = 0; r < R; r++) {
                            double v = Math.max(var[c][r][u], GlmFitter.TINY);
                            num += eff[c][r][u] / v;
                            den += 1 / v;
                        }
                        double s = tail.signed(num / Math.sqrt(den));
                        if (s > mx) mx = s;
                    }
                    maxFixed[c][k] = mx;
                }
            }
        }
    }

    private static final class Scratch {
        final double[][] xy, xdy, xdty;
        final double[] beta, xq, bw;

        Scratch(int p, int n) {
            xy = new double[p][n];
            xdy = new double[p][n];
            xdty = new double[p][n];
            beta = new double[p];
            xq = new double[p];
            bw = new double[p];
        }
    }

    /** One permutation's effect and variance of each contrast, per unit, for run {@code r}. */
    private void runStatistic(PermModel pm, RunStats st, int n, double[][][] eff, double[][][] var, int r, Scratch sc) {
        RunModel run = pm.run;
        int p = run.p, m = run.m, T = run.T, C = contrasts.length;
        for (int j = 0; j < m; j++) {
            java.util.Arrays.fill(sc.xy[j], 0);
            java.util.Arrays.fill(sc.xdy[j], 0);
            java.util.Arrays.fill(sc.xdty[j], 0);
        }
        for (int s = 0; s < run.S; s++) {
            int c = pm.label[s];
            double[] xy = sc.xy[c], xdy = sc.xdy[c], xdty = sc.xdty[c], a = st.a[s], b = st.b[s], cc = st.c[s];
            for (int u = 0; u < n; u++) {
                xy[u] += a[u];
                xdy[u] += b[u];
                xdty[u] += cc[u];
            }
        }
        double[][] xy = new double[p][], xdy = new double[p][], xdty = new double[p][];
        for (int j = 0; j < m; j++) {
            xy[j] = sc.xy[j];
            xdy[j] = sc.xdy[j];
            xdty[j] = sc.xdty[j];
        }
        for (int k = 0; k < run.f; k++) {
            xy[m + k] = st.fy[k];
            xdy[m + k] = st.fdy[k];
            xdty[m + k] = st.fdty[k];
        }
        double[][] gp = pm.gPinv, m1s = pm.m1Sym;
        double[] beta = sc.beta, xq = sc.xq, bw = sc.bw;
        double dof = run.dof;
        for (int u = 0; u < n; u++) {
            double yy = st.yy[u];
            if (st.constant[u] || !(yy > 0)) { // a constant unit
                for (int c = 0; c < C; c++) {
                    eff[c][r][u] = 0;
                    var[c][r][u] = 0;
                }
                continue;
            }
            int k = 0;
            if (ar) {
                double bxy = 0, blag = 0, quad = 0;
                for (int i = 0; i < p; i++) {
                    double s = 0;
                    double[] gi = gp[i];
                    for (int j = 0; j < p; j++) s += gi[j] * xy[j][u];
                    beta[i] = s;
                    bxy += s * xy[i][u];
                    blag += s * (xdy[i][u] + xdty[i][u]);
                }
                for (int i = 0; i < p; i++) {
                    double s = 0;
                    double[] mi = m1s[i];
                    for (int j = 0; j < p; j++) s += mi[j] * beta[j];
                    quad += beta[i] * s;
                }
                double ssr0 = yy - bxy;
                double s1 = st.ydy[u] - blag + quad;
                double r0 = ssr0 / ((double) T * T), r1 = s1 / ((double) (T - 1) * T);
                double rho = r0 > 0 ? r1 / r0 : 0;
                if (!Double.isFinite(rho)) rho = 0;
                k = (int) (rho * bins);
                k = Math.max(-bins - 1, Math.min(bins + 1, k));
            }
            PermModel.Bin bm = pm.forBin(k);
            double rr = k * 1.0 / bins, a = 1 + rr * rr, r2 = rr * rr;
            double yl = st.ylast[u];
            for (int j = 0; j < p; j++) xq[j] = a * xy[j][u] - rr * (xdy[j][u] + xdty[j][u]) - r2 * pm.xLast[j] * yl;
            double yqy = a * yy - 2 * rr * st.ydy[u] - r2 * yl * yl;
            double[][] gw = bm.gPinv();
            double fit = 0;
            for (int i = 0; i < p; i++) {
                double s = 0;
                double[] gi = gw[i];
                for (int j = 0; j < p; j++) s += gi[j] * xq[j];
                bw[i] = s;
                fit += s * xq[i];
            }
            double sigma2 = Math.max(0, yqy - fit) / dof;
            for (int c = 0; c < C; c++) {
                double[] cv = contrasts[c];
                double e = 0;
                for (int i = 0; i < p; i++) e += cv[i] * bw[i];
                eff[c][r][u] = e + st.mean[u] * bm.shift()[c];
                var[c][r][u] = sigma2 * bm.tFactor()[c];
            }
        }
    }

    /** Per-run t of the observed labelling (permutation 0) for contrast {@code c}, for checking against the direct fit. */
    double[] observedT(RunStats st, int run, int n, int c) {
        int C = contrasts.length, R = runs.size();
        double[][][] e = new double[C][R][n], v = new double[C][R][n];
        runStatistic(models[run][0], st, n, e, v, run, new Scratch(runs.get(run).p, n));
        double[] t = new double[n];
        for (int u = 0; u < n; u++) t[u] = e[c][run][u] / Math.sqrt(Math.max(v[c][run][u], GlmFitter.TINY));
        return t;
    }

    public double dof(int run) {
        return runs.get(run).dof;
    }
}
