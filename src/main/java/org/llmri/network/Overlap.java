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
            double nullDice95, double p, boolean exceedsChance) {}

    /** All pairs, overall ({@code overall}) and per level ({@code byLevel}), for both signs. */
    public record Result(Settings settings, List<String> tasks, List<Pair> overall, List<Pair> byLevel) {
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

    private static List<Pair> flag(List<Pair> pairs, List<Double> p, double q) {
        boolean[] found = Stats.benjaminiHochberg(p.stream().mapToDouble(Double::doubleValue).toArray(), q);
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
