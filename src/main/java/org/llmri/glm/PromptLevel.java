package org.llmri.glm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.llmri.LlmriException;
import org.llmri.io.RowMajorMatrix;

/**
 * Prompt-level inference: the prompt, not the time point, is the unit of replication.
 *
 * <p><b>Data.</b> Each events row is one prompt; a unit's value for a prompt is its mean over the
 * prompt's time points. A run thus becomes a small [prompts, units] matrix (read in one streaming pass).
 *
 * <p><b>Statistic.</b> Per run r with n1 task and n0 control prompts (n = n1 + n0) and per unit, the
 * task&minus;control difference of means is d_r and its weight w_r = n1·n0/n (so Var d_r = σ²/w_r).
 * The runs are blocks: each has its own mean, and the effect is the fixed-effects (inverse-variance)
 * combination effect = Σ w_r d_r / Σ w_r, with the residual variance pooled over runs and groups,
 * s² = Σ_r (SS_task,r + SS_control,r) / (N − 2R), N = Σ n, R runs. Then
 * t = effect / √(s² / Σ w_r) with N − 2R degrees of freedom, exactly t-distributed for normal prompt
 * means with equal variance (one run: the pooled two-sample t, df n − 2). Centering each run's values
 * makes the task sum A_r carry everything: w_r d_r = A_r, and SS_task + SS_control = SS_total − A_r²/w_r.
 *
 * <p><b>Permutations.</b> Task labels are shuffled among the prompts of each run, keeping each run's
 * counts (the design's own exchangeability); the first permutation is the observed labelling, so a
 * permutation p is count/B with B permutations in all. FWER uses max-T step-down (Westfall–Young): the
 * adjusted p of the j-th largest statistic counts permutations whose maximum over the j-th and all
 * smaller observed statistics reaches it, made monotone; this is exact and at least as powerful as the
 * single-step max-T, whose critical value is reported beside it. Bonferroni, FDR and uncorrected
 * thresholds use the parametric prompt-level p (t with N − 2R df).
 */
public final class PromptLevel {
    private PromptLevel() {}

    public static final String TASK = "task", CONTROL = "control";

    /**
     * One run as prompt means: {@code values[p * units + u]} is unit u's mean over prompt p's time points.
     */
    public record RunMeans(String source, boolean[] task, int units, double[] values) {
        public RunMeans {
            if (values.length != (long) task.length * units) throw new IllegalArgumentException("values are not prompts x units");
            int n1 = 0;
            for (boolean b : task) if (b) n1++;
            if (n1 == 0 || n1 == task.length) {
                throw new LlmriException(source + ": prompt-level test needs task and control prompts in every run ("
                        + n1 + " task of " + task.length + ")");
            }
            if (task.length < 3) throw new LlmriException(source + ": " + task.length + " prompts, too few for a test");
        }

        public int prompts() {
            return task.length;
        }

        public int taskPrompts() {
            int n = 0;
            for (boolean b : task) if (b) n++;
            return n;
        }

        /**
         * A run from its fused statistics: {@code sums[p * units + u]} is unit u's sum over prompt p's time points
         * (one prompt per events row, its duration the count). The mean is the sum times 1/n, exactly as
         * {@link #read} computes it from the activations, so both give the same numbers.
         */
        public static RunMeans fromSums(String source, Events events, int units, double[] sums) {
            int P = events.events().size();
            if (sums.length != (long) P * units) throw new LlmriException(source + ": statistics hold " + sums.length + " values, not "
                    + P + " prompts x " + units + " units");
            boolean[] task = new boolean[P];
            int[] on = new int[P], end = new int[P];
            labels(events, Integer.MAX_VALUE, source, task, on, end);
            double[] values = new double[sums.length];
            for (int p = 0; p < P; p++) {
                double inv = 1.0 / (end[p] - on[p]);
                for (int u = 0, base = p * units; u < units; u++) values[base + u] = sums[base + u] * inv;
            }
            return new RunMeans(source, task, units, values);
        }

        /** Each prompt's label, onset and end from the events, checked (T: the run's time points). */
        private static void labels(Events events, int T, String data, boolean[] task, int[] on, int[] end) {
            for (int p = 0; p < task.length; p++) {
                Events.Event e = events.events().get(p);
                String where = events.file() + ":" + e.line() + ": ";
                if (e.trialType().equals(TASK)) task[p] = true;
                else if (!e.trialType().equals(CONTROL)) {
                    throw new LlmriException(where + "the prompt-level test compares trial types 'task' and 'control', not '"
                            + e.trialType() + "' (use --inference token for other designs)");
                }
                if (e.onset() != Math.rint(e.onset()) || e.duration() != Math.rint(e.duration()) || e.duration() < 1) {
                    throw new LlmriException(where + "a prompt needs a whole onset and a duration of at least one time point");
                }
                on[p] = (int) e.onset();
                end[p] = (int) (e.onset() + e.duration());
                if (end[p] > T) throw new LlmriException(where + "prompt ends at time point " + end[p] + ", " + data + " has " + T);
            }
        }

        /** Reads a run: one prompt per events row (trial types {@code task} and {@code control}), streamed by unit slabs. */
        public static RunMeans read(RowMajorMatrix data, Events events, int threads) {
            int T = data.rows(), U = data.cols(), P = events.events().size();
            boolean[] task = new boolean[P];
            int[] on = new int[P], end = new int[P];
            labels(events, T, data.file().getFileName().toString(), task, on, end);
            double[] values = new double[P * U];
            int width = (int) Math.max(64, Math.min(U, (2L << 20) / Math.max(1, T)));
            int slabs = (U + width - 1) / width;
            ThreadLocal<double[]> bufs = ThreadLocal.withInitial(() -> new double[T * width]);
            GlmFitter.runParallel(threads, slabs, s -> {
                int u0 = s * width, n = Math.min(width, U - u0);
                double[] buf = bufs.get();
                data.readColumns(u0, n, buf, width);
                for (int p = 0; p < P; p++) {
                    int base = p * U + u0;
                    for (int t = on[p]; t < end[p]; t++) {
                        int row = t * width;
                        for (int j = 0; j < n; j++) values[base + j] += buf[row + j];
                    }
                    double inv = 1.0 / (end[p] - on[p]);
                    for (int j = 0; j < n; j++) values[base + j] *= inv;
                }
            });
            return new RunMeans(data.file().toString(), task, U, values);
        }
    }

    /** One run prepared: values centred on the run's mean, total sum of squares per unit. */
    private record Prepared(int n, int n1, double w, double[] centred, double[] ssTotal) {}

    private static Prepared prepare(RunMeans r) {
        int P = r.prompts(), U = r.units();
        double[] mean = new double[U];
        for (int p = 0; p < P; p++) for (int u = 0; u < U; u++) mean[u] += r.values()[p * U + u];
        for (int u = 0; u < U; u++) mean[u] /= P;
        double[] c = new double[P * U], ss = new double[U];
        for (int p = 0; p < P; p++) {
            for (int u = 0; u < U; u++) {
                double v = r.values()[p * U + u] - mean[u];
                c[p * U + u] = v;
                ss[u] += v * v;
            }
        }
        int n1 = r.taskPrompts();
        return new Prepared(P, n1, (double) n1 * (P - n1) / P, c, ss);
    }

    /** A map to test: one run, or several runs combined by fixed effects. */
    private static final class Member {
        final List<Prepared> runs;
        final int units, dof;
        final double sumW;
        final boolean[] constant, nan;

        Member(List<RunMeans> in) {
            runs = in.stream().map(PromptLevel::prepare).toList();
            units = in.get(0).units();
            for (RunMeans r : in) if (r.units() != units) throw new LlmriException(r.source() + ": " + r.units() + " units, expected " + units);
            int n = 0;
            double w = 0;
            for (Prepared p : runs) {
                n += p.n();
                w += p.w();
            }
            dof = n - 2 * runs.size();
            if (dof < 1) throw new LlmriException(in.get(0).source() + ": " + n + " prompts in " + runs.size() + " runs leave no degrees of freedom");
            sumW = w;
            constant = new boolean[units];
            nan = new boolean[units];
            for (int u = 0; u < units; u++) {
                double tot = 0;
                for (Prepared p : runs) tot += p.ssTotal()[u];
                nan[u] = Double.isNaN(tot);
                constant[u] = tot == 0;
            }
        }

        /** Task sums A_r for the labelling {@code chosen[r]} (indices of task prompts), into a[r]. */
        void taskSums(int[][] chosen, double[][] a) {
            for (int r = 0; r < runs.size(); r++) {
                double[] c = runs.get(r).centred(), dst = a[r];
                Arrays.fill(dst, 0);
                for (int p : chosen[r]) {
                    int base = p * units;
                    for (int u = 0; u < units; u++) dst[u] += c[base + u];
                }
            }
        }

        /** t per unit from task sums; also effect and variance when those arrays are given. */
        void t(double[][] a, double[] t, double[] effect, double[] variance) {
            int R = runs.size();
            for (int u = 0; u < units; u++) {
                if (constant[u] || nan[u]) {
                    t[u] = constant[u] ? 0 : Double.NaN;
                    if (effect != null) {
                        effect[u] = constant[u] ? 0 : Double.NaN;
                        variance[u] = constant[u] ? 0 : Double.NaN;
                    }
                    continue;
                }
                double num = 0, within = 0, tot = 0;
                for (int r = 0; r < R; r++) {
                    Prepared p = runs.get(r);
                    double x = a[r][u];
                    num += x;
                    within += p.ssTotal()[u] - x * x / p.w();
                    tot += p.ssTotal()[u];
                }
                within = Math.max(within, 1e-12 * tot); // cancellation floor: a perfect split gives a huge, finite t
                double s2 = within / dof;
                t[u] = num / Math.sqrt(s2 * sumW);
                if (effect != null) {
                    effect[u] = num / sumW;
                    variance[u] = s2 / sumW;
                }
            }
        }
    }

    /** The task prompts of each run under permutation {@code b} (b = 0: the observed labels). */
    static int[][] labels(List<RunMeans> runs, long seed, int b) {
        return labelsOf(runs.stream().map(RunMeans::task).toList(), seed, b);
    }

    private static int[][] labelsOf(List<boolean[]> tasks, long seed, int b) {
        int[][] out = new int[tasks.size()][];
        for (int r = 0; r < tasks.size(); r++) {
            boolean[] task = tasks.get(r);
            int P = task.length, n1 = 0;
            for (boolean x : task) if (x) n1++;
            int[] idx = new int[P];
            for (int p = 0; p < P; p++) idx[p] = p;
            if (b == 0) {
                int k = 0;
                for (int p = 0; p < P; p++) if (task[p]) idx[k++] = p;
            } else {
                SplittableRandom rng = new SplittableRandom(mix(seed, b, r));
                for (int i = 0; i < n1; i++) {
                    int j = i + rng.nextInt(P - i);
                    int tmp = idx[i];
                    idx[i] = idx[j];
                    idx[j] = tmp;
                }
            }
            out[r] = Arrays.copyOf(idx, n1);
        }
        return out;
    }

    private static long mix(long seed, int b, int r) {
        long z = seed * 0x9E3779B97F4A7C15L + b * 0xBF58476D1CE4E5B9L + r * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** How a family of maps is tested. */
    public record Settings(Tail tail, int permutations, long seed, double alpha, int threads) {
        public Settings {
            if (permutations < 1) throw new LlmriException("--permutations must be at least 1");
            if (!(alpha > 0 && alpha < 1)) throw new LlmriException("--alpha must lie in (0, 1), got " + alpha);
        }
    }

    /**
     * One tested map.
     *
     * @param maps effect (activation units), variance, t, z and one-sided p
     * @param standardized effect in between-prompt SDs: effect / s, s the pooled SD of prompt means
     * @param fwe step-down FWE significance (threshold: the single-step critical tail-signed t)
     * @param constant units with no variance over prompts (never significant)
     * @param nanUnits units with NaN values
     * @param runs runs in the map; {@code prompts} prompts in all, {@code taskPrompts} of them task
     * @param distinctLabelings distinct labellings of the prompts (within runs); ≥ the family's permutations when large
     * @param minP the smallest FWE p the test can reach: max(1/B, 1/distinct labellings)
     */
    public record MapResult(ContrastMaps maps, double[] standardized, Significance fwe, MaxT maxT, boolean[] constant, int nanUnits,
                            int constantUnits, int runs, int prompts, int taskPrompts, double distinctLabelings, double minP) {
        /** The significance of any correction (FWE step-down; the others on the parametric prompt-level p). */
        public Significance significance(Correction c, double alpha, Tail tail) {
            if (c == Correction.FWE) return fwe;
            return Significance.of(maps, c, alpha, tail, null, constant);
        }

        /** The critical tail-signed t of a correction: the smallest statistic that passes (NaN when none passes). */
        public double criticalT(Correction c, double alpha, Tail tail) {
            if (c == Correction.FWE) return fwe.threshold();
            int m = 0;
            for (double p : maps.p()) if (!Double.isNaN(p)) m++;
            double pCrit = switch (c) {
                case BONFERRONI -> alpha / Math.max(1, m);
                case NONE -> alpha;
                default -> significance(c, alpha, tail).threshold(); // FDR: the largest surviving p
            };
            if (Double.isNaN(pCrit)) return Double.NaN;
            return tQuantile(tail == Tail.TWO_SIDED ? pCrit / 2 : pCrit, maps.dof());
        }
    }

    /** The t whose upper tail is p with {@code dof} degrees of freedom. */
    public static double tQuantile(double p, double dof) {
        return new org.hipparchus.distribution.continuous.TDistribution(dof).inverseCumulativeProbability(1 - p);
    }

    /**
     * Tests a family of maps together: FWER step-down max-T over every unit of every map (one map: the
     * usual per-map family; several: e.g. every task, {@code --fwer-family tasks}). Each map's runs are
     * permuted independently, permutation b of every map drawn from the same seed stream.
     */
    public static List<MapResult> test(List<List<RunMeans>> family, String label, Settings s, ProgressListener progress) {
        List<Member> members = family.stream().map(Member::new).toList();
        int M = members.size();
        int[] offset = new int[M + 1];
        for (int k = 0; k < M; k++) offset[k + 1] = offset[k] + members.get(k).units;
        int total = offset[M];
        // observed statistics
        double[] obs = new double[total];
        List<double[]> effects = new ArrayList<>(), variances = new ArrayList<>(), ts = new ArrayList<>();
        for (int k = 0; k < M; k++) {
            Member m = members.get(k);
            double[][] a = new double[m.runs.size()][m.units];
            m.taskSums(labels(family.get(k), s.seed(), 0), a);
            double[] t = new double[m.units], e = new double[m.units], v = new double[m.units];
            m.t(a, t, e, v);
            ts.add(t);
            effects.add(e);
            variances.add(v);
            for (int u = 0; u < m.units; u++) obs[offset[k] + u] = usable(m, u) ? s.tail().signed(t[u]) : Double.NaN;
        }
        // step-down order: usable units by observed statistic, largest first
        int nUsable = 0;
        for (double v : obs) if (!Double.isNaN(v)) nUsable++;
        final int usable = nUsable;
        Integer[] boxed = new Integer[usable];
        int q = 0;
        for (int i = 0; i < total; i++) if (!Double.isNaN(obs[i])) boxed[q++] = i;
        Arrays.sort(boxed, (x, y) -> x.equals(y) ? 0 : obs[x] != obs[y] ? Double.compare(obs[y], obs[x]) : Integer.compare(x, y));
        int[] order = new int[usable];
        double[] sortedObs = new double[usable];
        for (int j = 0; j < usable; j++) {
            order[j] = boxed[j];
            sortedObs[j] = obs[order[j]];
        }
        int B = s.permutations();
        double[] maxima = new double[B];
        int chunks = Math.max(1, Math.min(B, s.threads() * 4));
        long[][] countsPerChunk = new long[chunks][];
        AtomicLong done = new AtomicLong();
        GlmFitter.runParallel(s.threads(), chunks, c -> {
            long[] counts = new long[usable];
            double[] stat = new double[total];
            double[][][] a = new double[M][][];
            double[][] t = new double[M][];
            for (int k = 0; k < M; k++) {
                a[k] = new double[members.get(k).runs.size()][members.get(k).units];
                t[k] = new double[members.get(k).units];
            }
            for (int b = c; b < B; b += chunks) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < M; k++) {
                    Member m = members.get(k);
                    m.taskSums(labels(family.get(k), s.seed(), b), a[k]);
                    m.t(a[k], t[k], null, null);
                    for (int u = 0; u < m.units; u++) stat[offset[k] + u] = s.tail().signed(t[k][u]);
                }
                double running = Double.NEGATIVE_INFINITY;
                for (int j = usable - 1; j >= 0; j--) {
                    double v = stat[order[j]];
                    if (v > running) running = v;
                    if (running >= sortedObs[j]) counts[j]++;
                }
                max = running;
                maxima[b] = max;
                progress.progress("permutations", done.incrementAndGet(), B);
            }
            countsPerChunk[c] = counts;
        });
        double[] adjustedSorted = new double[usable];
        for (int j = 0; j < usable; j++) {
            long n = 0;
            for (long[] cc : countsPerChunk) n += cc[j];
            adjustedSorted[j] = n / (double) B;
            if (j > 0) adjustedSorted[j] = Math.max(adjustedSorted[j], adjustedSorted[j - 1]);
        }
        MaxT maxT = new MaxT(maxima);
        double critical = maxT.threshold(s.alpha());
        List<MapResult> out = new ArrayList<>();
        for (int k = 0; k < M; k++) {
            Member m = members.get(k);
            int U = m.units;
            double[] t = ts.get(k), z = new double[U], p = new double[U];
            ContrastMaps.fillZP(false, 1, m.dof, t, z, p, m.constant);
            ContrastMaps maps = new ContrastMaps(label, false, U, m.dof, 1, effects.get(k), variances.get(k), t, z, p);
            double[] adjusted = new double[U];
            Arrays.fill(adjusted, Double.NaN);
            boolean[] mask = new boolean[U];
            for (int j = 0; j < usable; j++) {
                int i = order[j];
                if (i < offset[k] || i >= offset[k + 1]) continue;
                int u = i - offset[k];
                adjusted[u] = adjustedSorted[j];
                mask[u] = adjustedSorted[j] <= s.alpha() && !m.constant[u];
            }
            for (int u = 0; u < U; u++) if (m.constant[u]) adjusted[u] = 1;
            double[] std = new double[U];
            int nan = 0, cons = 0;
            for (int u = 0; u < U; u++) {
                std[u] = m.constant[u] ? 0 : effects.get(k)[u] / Math.sqrt(variances.get(k)[u] * m.sumW);
                if (m.nan[u]) nan++;
                if (m.constant[u]) cons++;
            }
            Significance fwe = new Significance(Correction.FWE, s.alpha(), s.tail(), critical, mask, adjusted);
            int prompts = 0, taskPrompts = 0;
            double distinct = 1;
            for (RunMeans r : family.get(k)) {
                prompts += r.prompts();
                taskPrompts += r.taskPrompts();
                distinct *= binomial(r.prompts(), r.taskPrompts());
            }
            if (s.tail() == Tail.TWO_SIDED && family.get(k).stream().allMatch(r -> 2 * r.taskPrompts() == r.prompts())) distinct /= 2;
            double familyDistinct = 1;
            for (List<RunMeans> f : family) for (RunMeans r : f) familyDistinct *= binomial(r.prompts(), r.taskPrompts());
            double minP = Math.max(1.0 / B, 1.0 / familyDistinct);
            out.add(new MapResult(maps, std, fwe, maxT, m.constant.clone(), nan, cons, family.get(k).size(), prompts, taskPrompts,
                    distinct, minP));
        }
        return out;
    }

    private static boolean usable(Member m, int u) {
        return !m.constant[u] && !m.nan[u];
    }

    /** The statistic maps of {@code runs} under permutation b (the same stream as {@link #test}); t per unit. */
    public static double[] permutedT(List<RunMeans> runs, long seed, int b) {
        Member m = new Member(runs);
        double[][] a = new double[runs.size()][m.units];
        m.taskSums(labels(runs, seed, b), a);
        double[] t = new double[m.units];
        m.t(a, t, null, null);
        return t;
    }

    /** Reusable permuted statistics for one map (prepared once; many permutations; thread-safe). */
    public static final class Permuter {
        private final Member member;
        // only the labels: the means themselves live on centred in the member, so the caller's copy can be dropped
        private final List<boolean[]> task;

        public Permuter(List<RunMeans> runs) {
            this.task = runs.stream().map(RunMeans::task).toList();
            this.member = new Member(runs);
        }

        /** t per unit under permutation b of seed (b = 0: observed); writes into t. */
        public void t(long seed, int b, double[] t) {
            double[][] a = new double[task.size()][member.units];
            member.taskSums(labelsOf(task, seed, b), a);
            member.t(a, t, null, null);
        }

        public int units() {
            return member.units;
        }
    }

    static double binomial(int n, int k) {
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return Math.rint(r);
    }

    /** Reads the runs of a map from files. */
    public static List<RunMeans> read(List<Path> data, List<Path> events, int threads) {
        List<RunMeans> out = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            try (RowMajorMatrix m = RowMajorMatrix.ofNpy(data.get(i))) {
                out.add(RunMeans.read(m, Events.read(events.get(i)), threads));
            }
        }
        return out;
    }
}
