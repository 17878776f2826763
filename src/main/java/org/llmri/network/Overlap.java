package org.llmri.network;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.hipparchus.special.Gamma;
import org.llmri.LlmriException;
import org.llmri.io.Tsv;

/**
 * Overlap between every pair of task networks, overall and per level (layer), each against a null in
 * which both networks keep their size in every tap but their units are placed at random within the tap.
 *
 * <p>Under that null the number of shared units in a tap with n units, where the networks hold a and b
 * units, is hypergeometric(n, a, b), independently across taps. Each permutation draws every tap's
 * count from that distribution (by inverting its exact CDF) and sums them, which is the same as
 * shuffling the units but costs O(taps) instead of O(units). Dice, Jaccard and the overlap
 * coefficient all grow with the shared count when sizes are fixed, so one p value serves all three:
 * p = (#{null shared &ge; observed shared} + 1) / (N + 1). A pair "exceeds chance" when its p value is
 * a Benjamini–Hochberg discovery at {@code q} among all rows of its table.
 */
public final class Overlap {
    private Overlap() {}

    /** The overlap of two sets of units. NaN where a measure is undefined (both sets, or the smaller, empty). */
    public record Metrics(int sizeA, int sizeB, int intersection, double dice, double jaccard, double overlapCoefficient) {
        public int union() {
            return sizeA + sizeB - intersection;
        }

        public static Metrics of(int sizeA, int sizeB, int intersection) {
            if (intersection < 0 || intersection > Math.min(sizeA, sizeB)) {
                throw new IllegalArgumentException("intersection " + intersection + " impossible for sizes " + sizeA + ", " + sizeB);
            }
            int union = sizeA + sizeB - intersection;
            double dice = sizeA + sizeB == 0 ? Double.NaN : 2.0 * intersection / (sizeA + sizeB);
            double jaccard = union == 0 ? Double.NaN : (double) intersection / union;
            int min = Math.min(sizeA, sizeB);
            double coefficient = min == 0 ? Double.NaN : (double) intersection / min;
            return new Metrics(sizeA, sizeB, intersection, dice, jaccard, coefficient);
        }

        public static Metrics of(BitSet a, BitSet b) {
            BitSet i = (BitSet) a.clone();
            i.and(b);
            return of(a.cardinality(), b.cardinality(), i.cardinality());
        }
    }

    /**
     * @param permutations random placements in the null (default 1000)
     * @param seed seed of the random placements
     * @param q false discovery rate for the "exceeds chance" flag (default 0.05)
     */
    public record Settings(int permutations, long seed, double q) {
        public Settings {
            if (permutations < 1) throw new LlmriException("overlap: permutations must be >= 1, not " + permutations);
            if (!(q > 0 && q < 1)) throw new LlmriException("overlap: q must be in (0, 1), not " + q);
        }

        public static Settings defaults(long seed) {
            return new Settings(1000, seed, 0.05);
        }
    }

    /**
     * One pair of networks at one level ({@code level} is {@code "all"} for the whole model).
     *
     * @param nullMeanDice mean Dice of the random placements
     * @param nullDice95 95th percentile of the random placements' Dice
     * @param p one-sided permutation p value for more shared units than chance
     */
    public record Pair(String taskA, String taskB, Network.Sign sign, String level, Metrics observed, double nullMeanDice,
            double nullDice95, double p, boolean exceedsChance) {
        /** Whether both networks have units here (otherwise there is no overlap to test). */
        public boolean testable() {
            return observed.sizeA() > 0 && observed.sizeB() > 0;
        }
    }

    /** All pairs, overall ({@code overall}) and per level ({@code byLevel}), for both signs. */
    public record Result(Settings settings, List<String> tasks, List<Pair> overall, List<Pair> byLevel, String nullModel) {
        public static final String TAP_NULL = "The null places each network's units at random within each tap, keeping its count per tap";
        public static final String JOINT_NULL = "The null relabels every task's prompts at once (within runs, keeping the counts) and "
                + "recomputes every network at its observed threshold, so each unit keeps its own chance of being selected";

        public Result(Settings settings, List<String> tasks, List<Pair> overall, List<Pair> byLevel) {
            this(settings, tasks, overall, byLevel, TAP_NULL);
        }

        public Result {
            tasks = List.copyOf(tasks);
            overall = List.copyOf(overall);
            byLevel = List.copyOf(byLevel);
        }

        /** The overall row for a pair, in either order. */
        public Optional<Pair> find(String a, String b, Network.Sign sign) {
            return overall.stream().filter(p -> p.sign() == sign
                    && (p.taskA().equals(a) && p.taskB().equals(b) || p.taskA().equals(b) && p.taskB().equals(a))).findFirst();
        }

        /** The pair with the highest Dice (ties: the first in table order); empty when no pair has a Dice. */
        public Optional<Pair> mostOverlapping(Network.Sign sign) {
            return overall.stream().filter(p -> p.sign() == sign && !Double.isNaN(p.observed().dice()))
                    .max(Comparator.comparingDouble((Pair p) -> p.observed().dice()).thenComparing(p -> -overall.indexOf(p)));
        }

        public static final List<String> COLUMNS = List.of("task_a", "task_b", "sign", "size_a", "size_b", "intersection",
                "union", "dice", "jaccard", "overlap_coefficient", "null_mean_dice", "null_dice_95", "p_value", "exceeds_chance");

        /** Writes {@code overlap.tsv} and {@code overlap_by_layer.tsv} (with a {@code layer} column) into {@code dir}. */
        public void writeTsv(Path dir) {
            Tsv.write(dir.resolve("overlap.tsv"), COLUMNS, overall.stream().map(p -> row(p, false)).toList());
            List<String> byLayer = new ArrayList<>(COLUMNS);
            byLayer.add(3, "layer");
            Tsv.write(dir.resolve("overlap_by_layer.tsv"), byLayer, byLevel.stream().map(p -> row(p, true)).toList());
        }

        private static List<Object> row(Pair p, boolean withLevel) {
            List<Object> r = new ArrayList<>(List.of(p.taskA(), p.taskB(), p.sign().label(), p.observed().sizeA(), p.observed().sizeB(),
                    p.observed().intersection(), p.observed().union(), p.observed().dice(), p.observed().jaccard(),
                    p.observed().overlapCoefficient(), p.nullMeanDice(), p.nullDice95(), p.p(), p.exceedsChance()));
            if (withLevel) r.add(3, p.level());
            return r;
        }
    }

    /** Overlap of every pair of {@code networks} (in list order: pairs (0,1), (0,2), ..., (1,2), ...). */
    public static Result compute(List<Network> networks, UnitTable table, Settings settings) {
        for (Network n : networks) table.checkLength("network " + n.task(), n.units());
        List<String> tasks = networks.stream().map(Network::task).toList();
        if (tasks.stream().distinct().count() != tasks.size()) throw new LlmriException("overlap: task names repeat: " + tasks);
        int taps = table.taps().size(), levels = table.levels().size();
        int[] levelOfTap = new int[taps], tapSize = new int[taps];
        for (int t = 0; t < taps; t++) {
            levelOfTap[t] = table.levelIndexOfTap(t);
            tapSize[t] = table.taps().get(t).size();
        }
        List<Pair> overall = new ArrayList<>(), byLevel = new ArrayList<>();
        List<Double> overallP = new ArrayList<>(), levelP = new ArrayList<>();
        for (Network.Sign sign : Network.Sign.values()) {
            int[][] perTap = new int[networks.size()][];
            for (int k = 0; k < networks.size(); k++) perTap[k] = countPerTap(networks.get(k).maskView(sign), table);
            for (int i = 0; i < networks.size(); i++) {
                for (int j = i + 1; j < networks.size(); j++) {
                    Network a = networks.get(i), b = networks.get(j);
                    BitSet shared = a.maskView(sign).get(0, a.units());
                    shared.and(b.maskView(sign));
                    int[] sharedPerTap = countPerTap(shared, table);
                    SplittableRandom rng = Stats.stream(settings.seed(), sign.ordinal(), i, j);
                    PairNull nul = sampleNull(perTap[i], perTap[j], sharedPerTap, tapSize, levelOfTap, levels, settings.permutations(), rng);
                    overall.add(new Pair(a.task(), b.task(), sign, "all", nul.observed[levels], nul.meanDice[levels],
                            nul.dice95, nul.p[levels], false));
                    overallP.add(nul.p[levels]);
                    for (int l = 0; l < levels; l++) {
                        byLevel.add(new Pair(a.task(), b.task(), sign, table.levels().get(l).label(), nul.observed[l],
                                nul.meanDice[l], Double.NaN, nul.p[l], false));
                        levelP.add(nul.p[l]);
                    }
                }
            }
        }
        return new Result(settings, tasks, flag(overall, overallP, settings.q()), flag(byLevel, levelP, settings.q()));
    }

    /**
     * Networks recomputed under one joint relabelling of every task's prompts (permutation b ≥ 1), in the
     * order of the observed networks. Called from several threads at once.
     */
    @FunctionalInterface
    public interface NullNetworks {
        List<Network> draw(int permutation);
    }

    /**
     * Overlap against the joint-permutation null: under each permutation every task's labels are
     * shuffled (within runs) and every network is recomputed at its observed threshold, so the null
     * keeps each unit's own propensity to be selected (a unit that passes easily in any task passes
     * easily under permutation too). The statistic is Dice (0 when both permuted networks are empty),
     * p = (#{null Dice ≥ observed} + 1) / (N + 1), per pair and per level. A row where either observed
     * network is empty is not testable (p NaN) and is left out of the Benjamini–Hochberg family.
     */
    public static Result computeJoint(List<Network> networks, UnitTable table, Settings settings, NullNetworks nulls) {
        for (Network n : networks) table.checkLength("network " + n.task(), n.units());
        List<String> tasks = networks.stream().map(Network::task).toList();
        int K = networks.size(), levels = table.levels().size(), N = settings.permutations();
        int pairs = K * (K - 1) / 2, rows = 2 * pairs * (levels + 1);
        float[][] nullDice = new float[rows][N];
        java.util.stream.IntStream.rangeClosed(1, N).parallel().forEach(b -> {
            List<Network> drawn = nulls.draw(b);
            double[] d = diceRows(drawn, table, levels);
            for (int r = 0; r < rows; r++) nullDice[r][b - 1] = (float) (Double.isNaN(d[r]) ? 0 : d[r]);
        });
        List<Pair> overall = new ArrayList<>(), byLevel = new ArrayList<>();
        List<Double> overallP = new ArrayList<>(), levelP = new ArrayList<>();
        int row = 0;
        for (Network.Sign sign : Network.Sign.values()) {
            int[][] perTap = new int[K][];
            for (int k = 0; k < K; k++) perTap[k] = countPerTap(networks.get(k).maskView(sign), table);
            for (int i = 0; i < K; i++) {
                for (int j = i + 1; j < K; j++) {
                    BitSet shared = networks.get(i).maskView(sign).get(0, networks.get(i).units());
                    shared.and(networks.get(j).maskView(sign));
                    int[] sharedPerTap = countPerTap(shared, table);
                    int[] sa = new int[levels + 1], sb = new int[levels + 1], sh = new int[levels + 1];
                    for (int t = 0; t < perTap[i].length; t++) {
                        for (int l : new int[] {table.levelIndexOfTap(t), levels}) {
                            sa[l] += perTap[i][t];
                            sb[l] += perTap[j][t];
                            sh[l] += sharedPerTap[t];
                        }
                    }
                    for (int l = 0; l <= levels; l++, row++) {
                        Metrics obs = Metrics.of(sa[l], sb[l], sh[l]);
                        boolean testable = sa[l] > 0 && sb[l] > 0;
                        float[] nd = nullDice[row];
                        double mean = 0;
                        int atLeast = 0;
                        for (float v : nd) {
                            mean += v;
                            if (v >= obs.dice() - 1e-6) atLeast++;
                        }
                        mean /= N;
                        double p = testable ? Stats.permutationP(atLeast, N) : Double.NaN;
                        double q95 = Double.NaN;
                        if (l == levels) {
                            double[] sorted = new double[N];
                            for (int k = 0; k < N; k++) sorted[k] = nd[k];
                            java.util.Arrays.sort(sorted);
                            q95 = Stats.quantile(sorted, 0.95);
                        }
                        Pair pair = new Pair(tasks.get(i), tasks.get(j), sign, l == levels ? "all" : table.levels().get(l).label(), obs,
                                mean, q95, p, false);
                        if (l == levels) {
                            overall.add(pair);
                            overallP.add(p);
                        } else {
                            byLevel.add(pair);
                            levelP.add(p);
                        }
                    }
                }
            }
        }
        return new Result(settings, tasks, flag(overall, overallP, settings.q()), flag(byLevel, levelP, settings.q()), Result.JOINT_NULL);
    }

    /** Dice per (sign, pair, level…, all) row, in computeJoint's row order. */
    private static double[] diceRows(List<Network> nets, UnitTable table, int levels) {
        int K = nets.size();
        double[] out = new double[2 * K * (K - 1) / 2 * (levels + 1)];
        int row = 0;
        for (Network.Sign sign : Network.Sign.values()) {
            int[][] perLevel = new int[K][levels + 1];
            for (int k = 0; k < K; k++) {
                BitSet m = nets.get(k).maskView(sign);
                for (int u = m.nextSetBit(0); u >= 0; u = m.nextSetBit(u + 1)) {
                    perLevel[k][table.levelIndexOfTap(table.tapIndexOf(u))]++;
                    perLevel[k][levels]++;
                }
            }
            for (int i = 0; i < K; i++) {
                for (int j = i + 1; j < K; j++) {
                    BitSet shared = nets.get(i).maskView(sign).get(0, nets.get(i).units());
                    shared.and(nets.get(j).maskView(sign));
                    int[] sh = new int[levels + 1];
                    for (int u = shared.nextSetBit(0); u >= 0; u = shared.nextSetBit(u + 1)) {
                        sh[table.levelIndexOfTap(table.tapIndexOf(u))]++;
                        sh[levels]++;
                    }
                    for (int l = 0; l <= levels; l++, row++) {
                        int a = perLevel[i][l], b = perLevel[j][l];
                        out[row] = a + b == 0 ? Double.NaN : 2.0 * sh[l] / (a + b);
                    }
                }
            }
        }
        return out;
    }

    private static List<Pair> flag(List<Pair> pairs, List<Double> p, double q) {
        // rows that are not testable (p NaN) are not in the family
        int[] idx = java.util.stream.IntStream.range(0, p.size()).filter(k -> !Double.isNaN(p.get(k))).toArray();
        double[] tested = new double[idx.length];
        for (int k = 0; k < idx.length; k++) tested[k] = p.get(idx[k]);
        boolean[] sub = tested.length == 0 ? new boolean[0] : Stats.benjaminiHochberg(tested, q);
        boolean[] found = new boolean[p.size()];
        for (int k = 0; k < idx.length; k++) found[idx[k]] = sub[k];
        List<Pair> out = new ArrayList<>(pairs.size());
        for (int k = 0; k < pairs.size(); k++) {
            Pair x = pairs.get(k);
            out.add(new Pair(x.taskA(), x.taskB(), x.sign(), x.level(), x.observed(), x.nullMeanDice(), x.nullDice95(), x.p(), found[k]));
        }
        return out;
    }

    static int[] countPerTap(BitSet mask, UnitTable table) {
        int[] out = new int[table.taps().size()];
        for (int u = mask.nextSetBit(0); u >= 0; u = mask.nextSetBit(u + 1)) out[table.tapIndexOf(u)]++;
        return out;
    }

    /** Observed metrics, null mean Dice and p value per level; index {@code levels} is the whole model. */
    private record PairNull(Metrics[] observed, double[] meanDice, double[] p, double dice95) {}

    private static PairNull sampleNull(int[] a, int[] b, int[] shared, int[] tapSize, int[] levelOfTap, int levels,
            int permutations, SplittableRandom rng) {
        int taps = a.length;
        int[] sizeA = new int[levels + 1], sizeB = new int[levels + 1], obs = new int[levels + 1];
        for (int t = 0; t < taps; t++) {
            for (int l : new int[] {levelOfTap[t], levels}) {
                sizeA[l] += a[t];
                sizeB[l] += b[t];
                obs[l] += shared[t];
            }
        }
        // only taps where both networks have units can share any; their exact CDFs are built once
        List<Integer> active = new ArrayList<>();
        List<Hypergeometric> dists = new ArrayList<>();
        for (int t = 0; t < taps; t++) {
            if (a[t] > 0 && b[t] > 0) {
                active.add(t);
                dists.add(new Hypergeometric(tapSize[t], a[t], b[t]));
            }
        }
        int[] atLeast = new int[levels + 1];
        double[] diceSum = new double[levels + 1];
        double[] overallDice = new double[permutations];
        int[] draw = new int[levels + 1];
        for (int k = 0; k < permutations; k++) {
            java.util.Arrays.fill(draw, 0);
            for (int x = 0; x < active.size(); x++) {
                int s = dists.get(x).sample(rng);
                draw[levelOfTap[active.get(x)]] += s;
                draw[levels] += s;
            }
            for (int l = 0; l <= levels; l++) {
                if (draw[l] >= obs[l]) atLeast[l]++;
                if (sizeA[l] + sizeB[l] > 0) diceSum[l] += 2.0 * draw[l] / (sizeA[l] + sizeB[l]);
            }
            overallDice[k] = sizeA[levels] + sizeB[levels] > 0 ? 2.0 * draw[levels] / (sizeA[levels] + sizeB[levels]) : Double.NaN;
        }
        Metrics[] observed = new Metrics[levels + 1];
        double[] meanDice = new double[levels + 1], p = new double[levels + 1];
        for (int l = 0; l <= levels; l++) {
            observed[l] = Metrics.of(sizeA[l], sizeB[l], obs[l]);
            meanDice[l] = sizeA[l] + sizeB[l] > 0 ? diceSum[l] / permutations : Double.NaN;
            p[l] = Stats.permutationP(atLeast[l], permutations);
        }
        java.util.Arrays.sort(overallDice);
        double dice95 = sizeA[levels] + sizeB[levels] > 0 ? Stats.quantile(overallDice, 0.95) : Double.NaN;
        return new PairNull(observed, meanDice, p, dice95);
    }

    /** The number of marked items among b drawn without replacement from n, a of them marked. */
    static final class Hypergeometric {
        private final int lo;
        private final double[] cdf;

        Hypergeometric(int n, int a, int b) {
            if (a > n || b > n) throw new IllegalArgumentException("sizes " + a + ", " + b + " exceed " + n);
            lo = Math.max(0, a + b - n);
            int hi = Math.min(a, b);
            double[] logP = new double[hi - lo + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = lo; k <= hi; k++) {
                logP[k - lo] = logChoose(a, k) + logChoose(n - a, b - k);
                max = Math.max(max, logP[k - lo]);
            }
            cdf = new double[logP.length];
            double sum = 0;
            for (int i = 0; i < logP.length; i++) {
                sum += Math.exp(logP[i] - max);
                cdf[i] = sum;
            }
            for (int i = 0; i < cdf.length; i++) cdf[i] /= sum;
        }

        int sample(SplittableRandom rng) {
            double u = rng.nextDouble();
            int i = java.util.Arrays.binarySearch(cdf, u);
            if (i < 0) i = -i - 1;
            return lo + Math.min(i, cdf.length - 1);
        }

        double cdfAt(int k) {
            if (k < lo) return 0;
            return cdf[Math.min(k - lo, cdf.length - 1)];
        }

        private static double logChoose(int n, int k) {
            return Gamma.logGamma(n + 1.0) - Gamma.logGamma(k + 1.0) - Gamma.logGamma(n - k + 1.0);
        }
    }
}
