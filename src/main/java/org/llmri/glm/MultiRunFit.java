package org.llmri.glm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.llmri.LlmriException;
import org.llmri.io.RowMajorMatrix;

/**
 * Fits one or more runs of the same units in a single streaming pass over blocks of units, and (for FWE)
 * runs the max-T permutations on each block while its sufficient statistics are at hand, so the data are
 * read once and memory stays bounded by a block per run and thread.
 */
final class MultiRunFit {
    private MultiRunFit() {}

    record RunInput(RowMajorMatrix data, DesignMatrix design) {}

    /**
     * @param maxRun   [contrast][run] max-T distributions (null without permutations; null entries for F contrasts)
     * @param maxFixed [contrast] fixed-effects max-T (null with one run or without permutations)
     */
    record Fitted(List<FitResult> fits, List<Contrast> contrasts, MaxT[][] maxRun, MaxT[] maxFixed) {}

    /** Fits each run from its accumulated sufficient statistics (no permutations: see GlmDataset). */
    static Fitted fitStatistics(List<org.llmri.dataset.TokenStatistics> stats, List<RunInput> runs, GlmOptions opts, ProgressListener progress) {
        DesignMatrix d0 = runs.get(0).design();
        List<Contrast> contrasts = new ArrayList<>();
        for (String spec : opts.contrasts()) contrasts.add(Contrast.parse(spec, d0.names()));
        int units = stats.get(0).units();
        List<FitResult> results = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            DesignMatrix d = runs.get(r).design();
            if (!d.names().equals(d0.names())) {
                throw new LlmriException("run " + (r + 1) + ": its design's columns " + d.names() + " differ from the first run's " + d0.names()
                        + " (every run needs the same trial types)");
            }
            if (stats.get(r).units() != units) throw new LlmriException("run " + (r + 1) + ": " + stats.get(r).units() + " units, but the first run has " + units);
            results.add(new GlmFitter(d, opts.noise(), contrasts).fit(stats.get(r)));
            progress.progress("fit from statistics", r + 1, runs.size());
        }
        return new Fitted(results, contrasts, null, null);
    }

    static Fitted fit(List<RunInput> runs, GlmOptions opts, ProgressListener progress) {
        DesignMatrix d0 = runs.get(0).design();
        List<Contrast> contrasts = new ArrayList<>();
        for (String spec : opts.contrasts()) contrasts.add(Contrast.parse(spec, d0.names()));
        int units = runs.get(0).data().cols();
        List<GlmFitter> fitters = new ArrayList<>();
        for (RunInput r : runs) {
            if (!r.design().names().equals(d0.names())) {
                throw new LlmriException(r.data().file() + ": its design's columns " + r.design().names()
                        + " differ from the first run's " + d0.names() + " (every run needs the same trial types)");
            }
            if (r.data().cols() != units) {
                throw new LlmriException(r.data().file() + ": " + r.data().cols() + " units, but the first run has " + units);
            }
            GlmFitter f = new GlmFitter(r.design(), opts.noise(), contrasts);
            f.checkRows(r.data());
            fitters.add(f);
        }
        boolean fwe = opts.corrections().contains(Correction.FWE);
        List<Integer> tIndex = new ArrayList<>();
        for (int i = 0; i < contrasts.size(); i++) {
            if (!contrasts.get(i).isF()) tIndex.add(i);
            else if (fwe) {
                throw new LlmriException("--correction fwe (max-T) tests t contrasts; for the F contrast '" + contrasts.get(i).expression()
                        + "' use fdr, bonferroni or none");
            }
        }
        PermutationEngine engine = null;
        if (fwe && !tIndex.isEmpty()) {
            List<DesignMatrix> designs = runs.stream().map(RunInput::design).toList();
            engine = new PermutationEngine(designs, tIndex.stream().map(i -> contrasts.get(i).vector()).toList(),
                    opts.noise(), opts.permutations(), opts.seed(), opts.tail());
        }
        int R = runs.size(), C = tIndex.size(), N = opts.permutations();
        List<FitResult> results = new ArrayList<>();
        int maxT = 0;
        for (int r = 0; r < R; r++) {
            results.add(fitters.get(r).newResult(units));
            fitters.get(r).prepare(runs.get(r).data(), opts.threads());
            maxT = Math.max(maxT, runs.get(r).data().rows());
        }
        int per = Math.max(GlmFitter.SUB, GlmFitter.slabUnits(GlmFitter.slabWidth(maxT, units)) / R / GlmFitter.SUB * GlmFitter.SUB);
        int width = per + 8; // rows not a power of two apart
        int slabs = (units + per - 1) / per;
        double[][][] maxRun = new double[C][R][N];
        double[][] maxFixed = new double[C][N];
        for (double[][] a : maxRun) for (double[] b : a) Arrays.fill(b, Double.NEGATIVE_INFINITY);
        for (double[] a : maxFixed) Arrays.fill(a, Double.NEGATIVE_INFINITY);
        final PermutationEngine eng = engine;
        final int w = width;
        AtomicLong done = new AtomicLong();
        ThreadLocal<double[][]> buffers = ThreadLocal.withInitial(() -> {
            double[][] b = new double[R][];
            for (int r = 0; r < R; r++) b[r] = new double[runs.get(r).data().rows() * w];
            return b;
        });
        ThreadLocal<GlmFitter.Workspace[]> spaces = ThreadLocal.withInitial(() -> {
            GlmFitter.Workspace[] s = new GlmFitter.Workspace[R];
            for (int r = 0; r < R; r++) s[r] = fitters.get(r).workspace();
            return s;
        });
        ThreadLocal<PermutationEngine.RunStats[]> statsLocal = ThreadLocal.withInitial(() -> {
            if (eng == null) return null;
            PermutationEngine.RunStats[] s = new PermutationEngine.RunStats[R];
            for (int r = 0; r < R; r++) s[r] = eng.newStats(r, w);
            return s;
        });
        String stage = engine == null ? "fit" : "fit+permute";
        GlmFitter.runParallel(opts.threads(), slabs, s -> {
            int u0 = s * per, n = Math.min(per, units - u0);
            double[][] bufs = buffers.get();
            GlmFitter.Workspace[] ws = spaces.get();
            PermutationEngine.RunStats[] st = statsLocal.get();
            for (int r = 0; r < R; r++) {
                if (n < per) Arrays.fill(bufs[r], 0);
                runs.get(r).data().readColumns(u0, n, bufs[r], w);
                if (st != null) st[r].clear();
                fitters.get(r).fitSlab(bufs[r], w, n, u0, results.get(r), ws[r], st == null ? null : st[r]);
            }
            if (eng != null) {
                double[][][] localRun = new double[C][R][N];
                double[][] localFixed = new double[C][N];
                for (double[][] a : localRun) for (double[] b : a) Arrays.fill(b, Double.NEGATIVE_INFINITY);
                for (double[] a : localFixed) Arrays.fill(a, Double.NEGATIVE_INFINITY);
                eng.permute(st, n, localRun, localFixed);
                synchronized (maxRun) {
                    for (int c = 0; c < C; c++) {
                        for (int r = 0; r < R; r++) for (int k = 0; k < N; k++) maxRun[c][r][k] = Math.max(maxRun[c][r][k], localRun[c][r][k]);
                        for (int k = 0; k < N; k++) maxFixed[c][k] = Math.max(maxFixed[c][k], localFixed[c][k]);
                    }
                }
            }
            progress.progress(stage, done.addAndGet(n), units);
        });
        for (int r = 0; r < R; r++) fitters.get(r).finish(results.get(r));
        MaxT[][] mr = null;
        MaxT[] mf = null;
        if (engine != null) {
            mr = new MaxT[contrasts.size()][R];
            mf = R > 1 ? new MaxT[contrasts.size()] : null;
            for (int c = 0; c < C; c++) {
                int ci = tIndex.get(c);
                for (int r = 0; r < R; r++) mr[ci][r] = new MaxT(maxRun[c][r]);
                if (mf != null) mf[ci] = new MaxT(maxFixed[c]);
            }
        }
        return new Fitted(results, contrasts, mr, mf);
    }
}
