package org.llmri.causal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.llmri.LlmriException;
import org.llmri.model.Tap;

/**
 * Lesions: ablate a set of units at every position while the model reads the held-out banks, and compare the
 * deficit with matched random sets of the same size ({@link UnitPool#matched}). Deficit on a bank = loss with
 * the lesion − loss intact (see {@link Panel}). For a network and fraction, effect = deficit(task) −
 * deficit(control); specificity = effect − the random sets' mean effect; p = (1 + #{random effect ≥ effect}) /
 * (1 + sets), one-sided (the network impairs its task more).
 */
public final class Lesion {
    public enum Mode { ZERO, MEAN }

    public record Settings(Mode mode, double[] fractions, int randomSets, long seed) {
        public Settings {
            if (randomSets < 1) throw new LlmriException("--random-sets must be >= 1 (got " + randomSets + ")");
            for (double f : fractions) if (!(f > 0 && f <= 1)) throw new LlmriException("--fractions must lie in (0, 1] (got " + f + ")");
        }
    }

    /** One lesioned set: its fraction, size, number (0 = the network, 1.. random) and deficit per bank. */
    public record SetResult(double fraction, int units, int set, double[] deficit) {}

    /** One fraction's summary for a network on its task against control. */
    public record Summary(double fraction, int units, double deficitTask, double deficitControl, double effect, double randomMean,
                          double randomSd, double randomLow, double randomHigh, double specificity, double effectSize, double p, int randomSets) {}

    public record Result(String task, double[] baseline, double[] baselineAccuracy, List<SetResult> sets, List<Summary> summaries) {}

    private Lesion() {}

    /** Number of units at a fraction of a network of n: ceil(f n), at least 1. */
    public static int count(double fraction, int n) {
        return Math.max(1, (int) Math.ceil(fraction * n - 1e-9));
    }

    /**
     * Lesions the top fractions of {@code ranked} (network units, strongest first) and matched random sets.
     * {@code exclude}: units random sets never take (the network). {@code tick} is told after each evaluation.
     */
    public static Result run(String task, Panel panel, UnitPool pool, int[] ranked, BitSet exclude, int taskBank, int controlBank,
                             Settings s, Panel.Score intact, IntConsumer tick) {
        if (ranked.length == 0) throw new LlmriException("network " + task + " is empty; nothing to lesion");
        Map<Tap, float[]> means = s.mode() == Mode.MEAN ? pool.controlMeans() : null;
        List<SetResult> sets = new ArrayList<>();
        List<Summary> summaries = new ArrayList<>();
        for (int fi = 0; fi < s.fractions().length; fi++) {
            double f = s.fractions()[fi];
            int k = count(f, ranked.length);
            int[] chosen = java.util.Arrays.copyOf(ranked, k);
            double[] net = deficit(panel, pool.set(chosen), means, intact);
            tick.accept(1);
            sets.add(new SetResult(f, k, 0, net));
            double effect = net[taskBank] - net[controlBank];
            double[] rnd = new double[s.randomSets()];
            SplittableRandom rng = new SplittableRandom(mix(s.seed(), fi));
            for (int r = 0; r < rnd.length; r++) {
                int[] random = pool.matched(chosen, exclude, rng);
                double[] d = deficit(panel, pool.set(random), means, intact);
                tick.accept(1);
                sets.add(new SetResult(f, k, r + 1, d));
                rnd[r] = d[taskBank] - d[controlBank];
            }
            summaries.add(summarize(f, k, net[taskBank], net[controlBank], effect, rnd));
        }
        return new Result(task, intact.loss(), intact.accuracy(), sets, summaries);
    }

    static Summary summarize(double f, int k, double dTask, double dControl, double effect, double[] rnd) {
        double mean = 0;
        for (double v : rnd) mean += v / rnd.length;
        double ss = 0;
        int above = 0;
        for (double v : rnd) {
            ss += (v - mean) * (v - mean);
            if (v >= effect) above++;
        }
        double sd = rnd.length > 1 ? Math.sqrt(ss / (rnd.length - 1)) : Double.NaN;
        double[] sorted = rnd.clone();
        java.util.Arrays.sort(sorted);
        double lo = quantile(sorted, 0.05), hi = quantile(sorted, 0.95);
        double spec = effect - mean;
        return new Summary(f, k, dTask, dControl, effect, mean, sd, lo, hi, spec, sd > 0 ? spec / sd : Double.NaN,
                (1.0 + above) / (1.0 + rnd.length), rnd.length);
    }

    /** Deficit per bank of ablating a set. */
    static double[] deficit(Panel panel, UnitSet set, Map<Tap, float[]> means, Panel.Score intact) {
        double[] loss = panel.score(set.ablate(means)).loss();
        double[] d = new double[loss.length];
        for (int i = 0; i < d.length; i++) d[i] = loss[i] - intact.loss()[i];
        return d;
    }

    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    static long mix(long seed, long k) {
        long z = seed * 0x9E3779B97F4A7C15L + k * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
