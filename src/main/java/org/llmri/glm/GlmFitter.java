package org.llmri.glm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.llmri.LlmriException;
import org.llmri.dataset.TokenStatistics;
import org.llmri.io.RowMajorMatrix;

/**
 * Fits one design to many units' time series, streaming over blocks of units (nilearn's {@code run_glm}
 * and {@code compute_contrast}, vectorised across units).
 *
 * <p>OLS: β = pinv(X)·y with the SVD pseudo-inverse (rank-deficient designs as nilearn fits them), residual
 * variance over n − rank. AR(1): the lag-1 Yule–Walker coefficient of each unit's OLS residuals (one global
 * mean removed, biased autocovariances; that mean is exactly 0 when the design spans the constant, and is
 * found by a first pass otherwise), truncated toward zero to a multiple of 1/bins; then each unit is refitted
 * with data and design whitened by that coefficient (first row kept, row t minus ρ·row t−1), through the
 * whitened design's pseudo-inverse Gram matrix, one per distinct coefficient.
 *
 * <p>A slab of units is read as [time][width] doubles (positional reads, nothing mapped: resident memory is
 * the slabs, about 16 MiB per thread and run) and processed in sub-blocks of {@link #SUB} units: each pass
 * streams the rows in order with Vector API loops across units and per-unit accumulators small enough for
 * L1. Passes: OLS β; OLS residual sums (lag 0, lag 1, sum, min, max); AR(1) bins; Xw'yw per unit with its
 * own coefficient; βw through the bin's (Xw'Xw)^+; whitened residual sum of squares.
 */
public final class GlmFitter {
    static final VectorSpecies<Double> SP = DoubleVector.SPECIES_PREFERRED;
    static final int LANES = SP.length();
    /** Units per vectorised sub-block (a multiple of every vector width). */
    static final int SUB = 64;
    /** Slab size target in doubles per time point × units (16 MiB per thread and run). */
    static final long SLAB_DOUBLES = 2L << 20;
    /** nilearn's floor on a contrast variance (its DEF_TINY). */
    static final double TINY = 1e-50;

    final DesignMatrix design;
    final NoiseModel noise;
    final List<Contrast> contrasts;
    final int timePoints, p, p4;
    final double[] x;      // [t][p] row-major
    final double[] x4;     // [t][p4], zero-padded columns
    final double[] pinv4;  // [t][p4]: pinv(X) transposed and padded, for β = Σ_t pinv[:, t] y_t
    final Linalg.Pinv olsPinv;
    final int rank;
    final double dof;
    final boolean spansConstant;
    final int bins;
    private final BinModel olsModel;
    private final BinModel[] binModels;
    private double globalMean;

    /** What a unit is refitted with: the whitened design's (X'X)^+ and each contrast's variance factor. */
    record BinModel(double rho, double[][] gramPinv, double[] tFactor, double[][][] fInverse, int[] fRank) {}

    public GlmFitter(DesignMatrix design, NoiseModel noise, List<Contrast> contrasts) {
        this.design = design;
        this.noise = noise;
        this.contrasts = List.copyOf(contrasts);
        this.timePoints = design.rows();
        this.p = design.cols();
        this.p4 = (p + 3) / 4 * 4;
        this.x = design.values();
        this.olsPinv = Linalg.pinv(x, timePoints, p);
        this.rank = olsPinv.rank();
        this.dof = timePoints - rank;
        if (dof < 1) {
            throw new LlmriException("the design has " + p + " columns of rank " + rank + " for " + timePoints
                    + " time points: no degrees of freedom are left");
        }
        for (Contrast c : contrasts) {
            if (c.rows()[0].length != p) throw new IllegalArgumentException("contrast width " + c.rows()[0].length + " != " + p);
            c.checkEstimable(olsPinv, design.names());
        }
        x4 = new double[timePoints * p4];
        pinv4 = new double[timePoints * p4];
        for (int t = 0; t < timePoints; t++)
            for (int j = 0; j < p; j++) {
                x4[t * p4 + j] = x[t * p + j];
                pinv4[t * p4 + j] = olsPinv.pinv()[j][t];
            }
        double[] ones = new double[timePoints];
        Arrays.fill(ones, 1);
        this.spansConstant = residualNorm(ones) <= 1e-8 * Math.sqrt(timePoints);
        this.bins = noise instanceof NoiseModel.Ar1 a ? a.bins() : 1;
        this.olsModel = binModel(0, olsPinv.gramPinv());
        this.binModels = new BinModel[2 * bins + 3];
    }

    public DesignMatrix design() {
        return design;
    }

    public double dof() {
        return dof;
    }

    public int rank() {
        return rank;
    }

    /** True when the constant lies in the design's column space (then OLS residuals sum to zero). */
    public boolean spansConstant() {
        return spansConstant;
    }

    /** ‖v − X·pinv(X)·v‖ */
    private double residualNorm(double[] v) {
        double[] b = new double[p];
        for (int j = 0; j < p; j++) b[j] = Linalg.dot(olsPinv.pinv()[j], v);
        double s = 0;
        for (int t = 0; t < timePoints; t++) {
            double f = 0;
            for (int j = 0; j < p; j++) f += x[t * p + j] * b[j];
            s += (v[t] - f) * (v[t] - f);
        }
        return Math.sqrt(s);
    }

    private BinModel binModel(double rho, double[][] gramPinv) {
        double[] tFactor = new double[contrasts.size()];
        double[][][] fInv = new double[contrasts.size()][][];
        int[] fRank = new int[contrasts.size()];
        for (int i = 0; i < contrasts.size(); i++) {
            Contrast c = contrasts.get(i);
            if (c.isF()) {
                int[] r = new int[1];
                fInv[i] = Linalg.pinvSymmetric(Linalg.sandwich(c.rows(), gramPinv), 1e-12, r);
                fRank[i] = r[0];
            } else {
                tFactor[i] = Linalg.quad(c.vector(), gramPinv);
            }
        }
        return new BinModel(rho, gramPinv, tFactor, fInv, fRank);
    }

    /** The model for the AR coefficient k / bins, built once (SVD of the whitened design). */
    BinModel bin(int k) {
        if (k == 0) return olsModel;
        int idx = k + bins + 1;
        if (idx < 0 || idx >= binModels.length) throw new IllegalStateException("AR bin " + k);
        BinModel m = binModels[idx];
        if (m != null) return m;
        synchronized (binModels) {
            m = binModels[idx];
            if (m == null) {
                double r = k * 1.0 / bins;
                double[] xw = whiten(x, timePoints, p, r);
                m = binModel(r, Linalg.pinv(xw, timePoints, p).gramPinv());
                binModels[idx] = m;
            }
            return m;
        }
    }

    /** nilearn's ARModel.whiten for AR(1): the first row kept, row t minus r times row t−1. */
    static double[] whiten(double[] a, int rows, int cols, double r) {
        double[] w = a.clone();
        for (int t = rows - 1; t >= 1; t--)
            for (int j = 0; j < cols; j++) w[t * cols + j] = a[t * cols + j] - r * a[(t - 1) * cols + j];
        return w;
    }

    /** Per-unit results of one fit, before z and p are filled by {@link #finish}. */
    public FitResult newResult(int units) {
        List<ContrastMaps> maps = new ArrayList<>();
        for (Contrast c : contrasts) {
            int q = c.rows().length;
            maps.add(new ContrastMaps(c.label(), c.isF(), units, dof, c.isF() ? 0 : 1,
                    new double[q * units], new double[q * units], new double[units], new double[units], new double[units]));
        }
        return new FitResult(design, noise, units, dof, rank, new double[units], new boolean[units], maps);
    }

    /** Computes z and p for every contrast; call once all slabs are fitted. */
    public void finish(FitResult r) {
        List<ContrastMaps> done = new ArrayList<>();
        for (int i = 0; i < contrasts.size(); i++) {
            ContrastMaps m = r.contrasts().get(i);
            double dof1 = m.isF() ? fRankOf(i) : 1;
            ContrastMaps.fillZP(m.isF(), dof1, dof, m.stat(), m.z(), m.p(), r.constant());
            done.add(new ContrastMaps(m.label(), m.isF(), m.units(), dof, dof1, m.effect(), m.variance(), m.stat(), m.z(), m.p()));
        }
        r.contrasts().clear();
        r.contrasts().addAll(done);
    }

    private int fRankOf(int i) {
        return olsModel.fRank()[i];
    }

    /** Reusable per-thread buffers. */
    static final class Workspace {
        final double[] beta, g, s0, s1, ssr, sum, rr, lo, hi, prev;
        final int[] bin;

        Workspace(int p4) {
            beta = new double[p4 * SUB];
            g = new double[p4 * SUB];
            s0 = new double[SUB];
            s1 = new double[SUB];
            ssr = new double[SUB];
            sum = new double[SUB];
            rr = new double[SUB];
            lo = new double[SUB];
            hi = new double[SUB];
            prev = new double[SUB];
            bin = new int[SUB];
        }
    }

    Workspace workspace() {
        return new Workspace(p4);
    }

    /**
     * Row length of a slab buffer for this many time points: about {@link #SLAB_DOUBLES} values, a multiple
     * of {@link #SUB} plus one vector, so that rows do not sit a power of two apart (cache-set aliasing).
     * Use {@link #slabUnits} units of it.
     */
    static int slabWidth(int timePoints, int units) {
        long w = SLAB_DOUBLES / Math.max(1, timePoints);
        w = Math.max(SUB, w / SUB * SUB);
        long need = ((long) units + SUB - 1) / SUB * SUB;
        return (int) Math.min(w, need) + 8;
    }

    /** Units held by a slab of this width. */
    static int slabUnits(int width) {
        return (width - 8) / SUB * SUB;
    }

    /**
     * Fits slab columns [0, n) (units unit0 ..) of {@code y} ([time][width], width a multiple of SUB; columns
     * beyond n must hold finite values) into {@code res}; {@code stats}, when not null, also receives the
     * permutation engine's per-unit sums.
     */
    void fitSlab(double[] y, int width, int n, int unit0, FitResult res, Workspace w, PermutationEngine.RunStats stats) {
        for (int c0 = 0; c0 < n; c0 += SUB) {
            int nv = Math.min(SUB, n - c0);
            fitSub(y, width, c0, unit0 + c0, nv, res, w);
            if (stats != null) stats.accumulate(y, width, c0, nv, w);
        }
    }

    private void fitSub(double[] y, int width, int c0, int unit0, int nv, FitResult res, Workspace w) {
        final int T = timePoints;
        final int nb = SUB; // compute on the whole sub-block; columns past nv are ignored
        // Pass A: OLS β = pinv(X) y, four coefficients at a time across units
        olsBeta(y, width, c0, w.beta);
        // Pass B: residuals of the OLS fit; their lag-0/lag-1 sums, the data's sum, min and max
        residualSums(y, width, c0, w.beta, globalMean, w);
        boolean ar = noise instanceof NoiseModel.Ar1;
        for (int u = 0; u < nv; u++) {
            int unit = unit0 + u;
            boolean constant = w.lo[u] == w.hi[u];
            res.constant()[unit] = constant;
            double rho = 0;
            if (ar && !constant) {
                double r0 = w.s0[u] / ((double) T * T);
                double r1 = w.s1[u] / ((double) (T - 1) * T);
                rho = r0 > 0 ? r1 / r0 : 0;
                if (!Double.isFinite(rho)) rho = 0;
            }
            int k = ar ? (int) (rho * bins) : 0;
            if (k > bins + 1) k = bins + 1;
            if (k < -bins - 1) k = -bins - 1;
            w.bin[u] = k;
            w.rr[u] = k * 1.0 / bins;
            res.rho()[unit] = ar ? w.rr[u] : 0;
        }
        for (int u = nv; u < nb; u++) {
            w.bin[u] = 0;
            w.rr[u] = 0;
        }
        if (!ar) {
            // OLS: the residual sum of squares is s0 when no global mean was removed
            for (int u = 0; u < nv; u++) w.ssr[u] = w.s0[u];
            if (globalMean != 0) olsSsr(y, width, c0, w.beta, w.ssr);
            emit(unit0, nv, w.beta, w.ssr, w.bin, res, w);
            return;
        }
        // Pass C: Xw'yw for each unit's own coefficient
        whitenedCross(y, width, c0, w.rr, w.g);
        // βw = (Xw'Xw)^+ Xw'yw with the bin's pseudo-inverse Gram matrix
        for (int u = 0; u < nb; u++) {
            double[][] gp = bin(w.bin[u]).gramPinv();
            for (int j = 0; j < p; j++) {
                double s = 0;
                for (int l = 0; l < p; l++) s += gp[j][l] * w.g[l * SUB + u];
                w.beta[j * SUB + u] = s;
            }
        }
        // Pass D: whitened residual sum of squares
        whitenedSsr(y, width, c0, w.beta, w.rr, w.ssr, w.prev);
        emit(unit0, nv, w.beta, w.ssr, w.bin, res, w);
    }

    private void emit(int unit0, int nv, double[] beta, double[] ssr, int[] bin, FitResult res, Workspace w) {
        int units = res.units();
        for (int i = 0; i < contrasts.size(); i++) {
            Contrast c = contrasts.get(i);
            ContrastMaps m = res.contrasts().get(i);
            for (int u = 0; u < nv; u++) {
                int unit = unit0 + u;
                if (res.constant()[unit]) continue; // stays 0
                BinModel bm = bin(bin[u]);
                double sigma2 = ssr[u] / dof;
                if (!c.isF()) {
                    double[] cv = c.vector();
                    double e = 0;
                    for (int j = 0; j < p; j++) e += cv[j] * beta[j * SUB + u];
                    double v = sigma2 * bm.tFactor()[i];
                    m.effect()[unit] = e;
                    m.variance()[unit] = v;
                    m.stat()[unit] = e / Math.sqrt(Math.max(v, TINY));
                } else {
                    int q = c.rows().length;
                    double[] e = new double[q];
                    for (int a = 0; a < q; a++) {
                        double s = 0;
                        for (int j = 0; j < p; j++) s += c.rows()[a][j] * beta[j * SUB + u];
                        e[a] = s;
                        m.effect()[a * units + unit] = s;
                        m.variance()[a * units + unit] = sigma2 * Linalg.quad(c.rows()[a], bm.gramPinv());
                    }
                    double[][] inv = bm.fInverse()[i];
                    double f = 0;
                    for (int a = 0; a < q; a++)
                        for (int b = 0; b < q; b++) f += e[a] * inv[a][b] * e[b];
                    int rk = Math.max(1, bm.fRank()[i]);
                    m.stat()[unit] = f / (rk * Math.max(sigma2, TINY));
                }
            }
        }
    }

    // ---- vectorised passes over a sub-block of SUB units: rows streamed in order, vectors across units,
    //      per-unit accumulators in small arrays that stay in L1 ----

    private void olsBeta(double[] y, int width, int c0, double[] beta) {
        Arrays.fill(beta, 0, p * SUB, 0);
        for (int t = 0; t < timePoints; t++) {
            int off = t * width + c0, pi = t * p4;
            for (int u = 0; u < SUB; u += LANES) {
                DoubleVector yv = DoubleVector.fromArray(SP, y, off + u);
                for (int j = 0; j < p; j++) {
                    int bo = j * SUB + u;
                    yv.fma(DoubleVector.broadcast(SP, pinv4[pi + j]), DoubleVector.fromArray(SP, beta, bo)).intoArray(beta, bo);
                }
            }
        }
    }

    private void residualSums(double[] y, int width, int c0, double[] beta, double mean, Workspace w) {
        DoubleVector vm = DoubleVector.broadcast(SP, mean);
        double[] prev = w.prev;
        Arrays.fill(w.s0, 0);
        Arrays.fill(w.s1, 0);
        Arrays.fill(w.sum, 0);
        Arrays.fill(prev, 0);
        Arrays.fill(w.lo, Double.POSITIVE_INFINITY);
        Arrays.fill(w.hi, Double.NEGATIVE_INFINITY);
        for (int t = 0; t < timePoints; t++) {
            int off = t * width + c0, xi = t * p4;
            for (int u = 0; u < SUB; u += LANES) {
                DoubleVector f = DoubleVector.zero(SP);
                for (int j = 0; j < p; j++) f = DoubleVector.fromArray(SP, beta, j * SUB + u).fma(DoubleVector.broadcast(SP, x4[xi + j]), f);
                DoubleVector yv = DoubleVector.fromArray(SP, y, off + u);
                DoubleVector r = yv.sub(f).sub(vm);
                r.fma(r, DoubleVector.fromArray(SP, w.s0, u)).intoArray(w.s0, u);
                r.fma(DoubleVector.fromArray(SP, prev, u), DoubleVector.fromArray(SP, w.s1, u)).intoArray(w.s1, u); // prev is 0 at t = 0
                r.intoArray(prev, u);
                yv.add(DoubleVector.fromArray(SP, w.sum, u)).intoArray(w.sum, u);
                yv.min(DoubleVector.fromArray(SP, w.lo, u)).intoArray(w.lo, u);
                yv.max(DoubleVector.fromArray(SP, w.hi, u)).intoArray(w.hi, u);
            }
        }
    }

    private void olsSsr(double[] y, int width, int c0, double[] beta, double[] ssr) {
        Arrays.fill(ssr, 0);
        for (int t = 0; t < timePoints; t++) {
            int off = t * width + c0, xi = t * p4;
            for (int u = 0; u < SUB; u += LANES) {
                DoubleVector f = DoubleVector.zero(SP);
                for (int j = 0; j < p; j++) f = DoubleVector.fromArray(SP, beta, j * SUB + u).fma(DoubleVector.broadcast(SP, x4[xi + j]), f);
                DoubleVector r = DoubleVector.fromArray(SP, y, off + u).sub(f);
                r.fma(r, DoubleVector.fromArray(SP, ssr, u)).intoArray(ssr, u);
            }
        }
    }

    /** g_j = Σ_t xw_tj · yw_t with xw_t = x_t − r x_{t−1}, yw_t = y_t − r y_{t−1} (row 0 unwhitened). */
    private void whitenedCross(double[] y, int width, int c0, double[] rr, double[] g) {
        Arrays.fill(g, 0, p * SUB, 0);
        for (int u = 0; u < SUB; u += LANES) {
            DoubleVector yv = DoubleVector.fromArray(SP, y, c0 + u);
            for (int j = 0; j < p; j++) yv.mul(x4[j]).intoArray(g, j * SUB + u);
        }
        for (int t = 1; t < timePoints; t++) {
            int off = t * width + c0, cur = t * p4, pre = cur - p4;
            for (int u = 0; u < SUB; u += LANES) {
                DoubleVector nr = DoubleVector.fromArray(SP, rr, u).neg();
                DoubleVector yw = DoubleVector.fromArray(SP, y, off - width + u).fma(nr, DoubleVector.fromArray(SP, y, off + u));
                for (int j = 0; j < p; j++) {
                    int go = j * SUB + u;
                    DoubleVector xw = nr.fma(x4[pre + j], x4[cur + j]);
                    xw.fma(yw, DoubleVector.fromArray(SP, g, go)).intoArray(g, go);
                }
            }
        }
    }

    /** Σ_t (yw_t − xw_t'βw)² with f_t = x_t'βw: the whitened residual is yw_t − f_t + r f_{t−1}. */
    private void whitenedSsr(double[] y, int width, int c0, double[] beta, double[] rr, double[] ssr, double[] fprev) {
        Arrays.fill(ssr, 0);
        Arrays.fill(fprev, 0);
        for (int t = 0; t < timePoints; t++) {
            int off = t * width + c0, xi = t * p4;
            for (int u = 0; u < SUB; u += LANES) {
                DoubleVector r = DoubleVector.fromArray(SP, rr, u);
                DoubleVector f = DoubleVector.zero(SP);
                for (int j = 0; j < p; j++) f = DoubleVector.fromArray(SP, beta, j * SUB + u).fma(DoubleVector.broadcast(SP, x4[xi + j]), f);
                DoubleVector yv = DoubleVector.fromArray(SP, y, off + u);
                DoubleVector fp = DoubleVector.fromArray(SP, fprev, u);
                DoubleVector e = yv.sub(f);
                if (t > 0) e = r.fma(fp, e).sub(r.mul(DoubleVector.fromArray(SP, y, off - width + u)));
                e.fma(e, DoubleVector.fromArray(SP, ssr, u)).intoArray(ssr, u);
                f.intoArray(fprev, u);
            }
        }
    }

    // ---- drivers ----

    /** Fits every unit of {@code data} ([time, unit]) with {@code threads} threads; bounded memory. */
    public FitResult fit(RowMajorMatrix data, int threads, ProgressListener progress) {
        checkRows(data);
        int units = data.cols();
        FitResult res = newResult(units);
        int width = slabWidth(timePoints, units), per = slabUnits(width);
        prepare(data, threads);
        int slabs = (units + per - 1) / per;
        AtomicLong done = new AtomicLong();
        ThreadLocal<double[]> buffers = ThreadLocal.withInitial(() -> new double[timePoints * width]);
        ThreadLocal<Workspace> spaces = ThreadLocal.withInitial(this::workspace);
        runParallel(threads, slabs, s -> {
            int u0 = s * per, n = Math.min(per, units - u0);
            double[] buf = buffers.get();
            if (n < per) Arrays.fill(buf, 0);
            data.readColumns(u0, n, buf, width);
            fitSlab(buf, width, n, u0, res, spaces.get(), null);
            progress.progress("fit", done.addAndGet(n), units);
        });
        finish(res);
        return res;
    }

    /**
     * Fits every unit from its accumulated sufficient statistics, reading no activations: the same OLS
     * β, Yule–Walker ρ (with nilearn's global residual mean when the design lacks the constant), bins,
     * whitened refits and dispersion as {@link #fit(RowMajorMatrix, int, ProgressListener)}, each sum
     * expanded into the accumulated cross-products (see {@link TokenStatistics}).
     */
    public FitResult fit(TokenStatistics st) {
        if (!st.sameDesign(design.values(), design.rows(), design.cols())) throw new LlmriException("the token statistics were accumulated with another design matrix");
        if (st.rowsAdded() != timePoints) {
            throw new LlmriException("the token statistics hold " + st.rowsAdded() + " of the design's " + timePoints + " time points");
        }
        final int T = timePoints, units = st.units();
        FitResult res = newResult(units);
        boolean ar = noise instanceof NoiseModel.Ar1;
        double[][] g0 = olsPinv.gramPinv();
        double[] colSum = new double[p], xLast = new double[p], xFirst = new double[p];
        for (int t = 0; t < T; t++) for (int j = 0; j < p; j++) colSum[j] += x[t * p + j];
        for (int j = 0; j < p; j++) {
            xFirst[j] = x[j];
            xLast[j] = x[(T - 1) * p + j];
        }
        double[][] gram = new double[p][p], lagGram = new double[p][p]; // X'X and Σ_{t≥1} x_t x_{t−1}'
        for (int t = 0; t < T; t++)
            for (int a = 0; a < p; a++)
                for (int b = 0; b < p; b++) {
                    gram[a][b] += x[t * p + a] * x[t * p + b];
                    if (t > 0) lagGram[a][b] += x[t * p + a] * x[(t - 1) * p + b];
                }
        double[] xy = new double[p], beta = new double[p];
        double[][] betas = new double[units][];
        double mean = 0;
        for (int u = 0; u < units; u++) {
            for (int j = 0; j < p; j++) xy[j] = st.xy(j, u);
            double[] b = new double[p];
            for (int j = 0; j < p; j++) b[j] = Linalg.dot(g0[j], xy);
            betas[u] = b;
            if (ar && !spansConstant) mean += st.scalar(TokenStatistics.SUM, u) - Linalg.dot(colSum, b);
        }
        double m = ar && !spansConstant ? mean / ((double) T * units) : 0;
        Workspace w = workspace();
        for (int u0 = 0; u0 < units; u0 += SUB) {
            int nv = Math.min(SUB, units - u0);
            Arrays.fill(w.beta, 0);
            Arrays.fill(w.bin, 0);
            for (int u = 0; u < nv; u++) {
                int unit = u0 + u;
                double[] b = betas[unit];
                for (int j = 0; j < p; j++) xy[j] = st.xy(j, unit);
                double yy = st.scalar(TokenStatistics.YY, unit);
                double ee = yy - 2 * Linalg.dot(b, xy) + quadForm(b, gram, b);
                boolean constant = st.scalar(TokenStatistics.MIN, unit) == st.scalar(TokenStatistics.MAX, unit);
                res.constant()[unit] = constant;
                int k = 0;
                if (ar && !constant) {
                    double y0 = st.scalar(TokenStatistics.FIRST, unit), yl = st.scalar(TokenStatistics.LAST, unit);
                    double se = st.scalar(TokenStatistics.SUM, unit) - Linalg.dot(colSum, b);
                    double e0 = y0 - Linalg.dot(xFirst, b), el = yl - Linalg.dot(xLast, b);
                    double lag = st.scalar(TokenStatistics.LYY, unit) + quadForm(b, lagGram, b);
                    for (int j = 0; j < p; j++) lag -= b[j] * (st.lagYX(j, unit) + st.lagXY(j, unit));
                    double s0 = ee - 2 * m * se + T * m * m;
                    double s1 = lag - m * (2 * se - e0 - el) + (T - 1) * m * m;
                    double r0 = s0 / ((double) T * T), r1 = s1 / ((double) (T - 1) * T);
                    double rho = r0 > 0 ? r1 / r0 : 0;
                    if (!Double.isFinite(rho)) rho = 0;
                    k = (int) (rho * bins);
                    if (k > bins + 1) k = bins + 1;
                    if (k < -bins - 1) k = -bins - 1;
                }
                w.bin[u] = k;
                res.rho()[unit] = ar ? k * 1.0 / bins : 0;
                if (!ar) {
                    for (int j = 0; j < p; j++) w.beta[j * SUB + u] = b[j];
                    w.ssr[u] = ee;
                    continue;
                }
                // whitened refit: X̃'ỹ, ỹ'ỹ and X̃'X̃ as quadratics in ρ of the accumulated sums
                double r = k * 1.0 / bins, yl = st.scalar(TokenStatistics.LAST, unit);
                double[] g = new double[p];
                for (int j = 0; j < p; j++) g[j] = xy[j] - r * (st.lagXY(j, unit) + st.lagYX(j, unit)) + r * r * (xy[j] - xLast[j] * yl);
                double yw = yy - 2 * r * st.scalar(TokenStatistics.LYY, unit) + r * r * (yy - yl * yl);
                double[][] gp = bin(k).gramPinv();
                double[] bw = new double[p];
                for (int j = 0; j < p; j++) bw[j] = Linalg.dot(gp[j], g);
                double quad = 0;
                for (int a = 0; a < p; a++)
                    for (int c = 0; c < p; c++) {
                        double gw = gram[a][c] - r * (lagGram[a][c] + lagGram[c][a]) + r * r * (gram[a][c] - xLast[a] * xLast[c]);
                        quad += bw[a] * gw * bw[c];
                    }
                for (int j = 0; j < p; j++) w.beta[j * SUB + u] = bw[j];
                w.ssr[u] = yw - 2 * Linalg.dot(bw, g) + quad;
            }
            emit(u0, nv, w.beta, w.ssr, w.bin, res, w);
        }
        finish(res);
        return res;
    }

    private static double quadForm(double[] a, double[][] m, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < b.length; j++) s += a[i] * m[i][j] * b[j];
        return s;
    }

    /**
     * Readies the fitter for {@code data}: for AR(1) with a design that does not span the constant, nilearn's
     * Yule–Walker removes the mean of all units' OLS residuals, which takes one pass over the data first.
     */
    void prepare(RowMajorMatrix data, int threads) {
        globalMean = 0;
        if (noise instanceof NoiseModel.Ar1 && !spansConstant) {
            globalMean = residualMean(data, slabWidth(timePoints, data.cols()), threads);
        }
    }

    void checkRows(RowMajorMatrix data) {
        if (data.rows() != timePoints) {
            throw new LlmriException(data.file() + ": " + data.rows() + " time points, but the design has " + timePoints + " rows");
        }
    }

    /** nilearn removes one mean over all units' OLS residuals before Yule–Walker; Σ_t r_t = w'y, w = 1 − pinv'X'1. */
    private double residualMean(RowMajorMatrix data, int width, int threads) {
        double[] w = new double[timePoints];
        double[] colSum = new double[p];
        for (int t = 0; t < timePoints; t++) for (int j = 0; j < p; j++) colSum[j] += x[t * p + j];
        for (int t = 0; t < timePoints; t++) {
            double s = 0;
            for (int j = 0; j < p; j++) s += olsPinv.pinv()[j][t] * colSum[j];
            w[t] = 1 - s;
        }
        int units = data.cols();
        int per = slabUnits(width);
        int slabs = (units + per - 1) / per;
        double[] perSlab = new double[slabs];
        ThreadLocal<double[]> buffers = ThreadLocal.withInitial(() -> new double[timePoints * width]);
        runParallel(threads, slabs, s -> {
            int u0 = s * per, n = Math.min(per, units - u0);
            double[] buf = buffers.get();
            data.readColumns(u0, n, buf, width);
            double tot = 0;
            for (int t = 0; t < timePoints; t++) {
                double rowSum = 0;
                for (int u = 0; u < n; u++) rowSum += buf[t * width + u];
                tot += w[t] * rowSum;
            }
            perSlab[s] = tot;
        });
        double total = 0;
        for (double v : perSlab) total += v; // in slab order: deterministic
        return total / ((double) timePoints * units);
    }

    /** Runs body(0..count-1) on a fixed pool; the first failure is rethrown as is. */
    static void runParallel(int threads, int count, java.util.function.IntConsumer body) {
        if (threads <= 1 || count <= 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, count), r -> {
            Thread t = new Thread(r, "llmri-glm");
            t.setDaemon(true);
            return t;
        });
        try {
            AtomicLong next = new AtomicLong();
            List<Future<?>> fs = new ArrayList<>();
            for (int k = 0; k < Math.min(threads, count); k++) {
                fs.add(pool.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < count; ) body.accept((int) i);
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    next.set(count);
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    if (e.getCause() instanceof Error er) throw er;
                    throw new IllegalStateException(e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlmriException("interrupted");
        } finally {
            pool.shutdownNow();
        }
    }
}
