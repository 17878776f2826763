package org.llmri.causal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.llmri.LlmriException;
import org.llmri.model.Tap;
import org.llmri.model.run.Generator;
import org.llmri.model.run.Sampling;

/**
 * Steering: add alpha · (task mean − control mean) to a network's units at every position, and measure the shift
 * toward the task against matched random sets steered along their own task − control difference rescaled to the
 * network's norm. Decoders: the shift of the held-out task bank's mean per-token log-probability, and the rate of
 * task tokens (tokens of the task's scan bank that the control scan bank never uses) in greedy generations from
 * neutral control prompts. Encoders: the shift of the held-out control texts' mean cosine to the task's centroid.
 */
public final class Steer {
    public record Settings(double[] alphas, int randomSets, long seed, int newTokens) {
        public Settings {
            if (alphas.length == 0) throw new LlmriException("--alpha needs at least one value");
            if (randomSets < 1) throw new LlmriException("--random-sets must be >= 1 (got " + randomSets + ")");
        }
    }

    /** One set at one alpha: shift of the outcome from alpha 0, and (decoders) the task-token rate of its generations. */
    public record Point(double alpha, int set, double outcome, double shift, double controlShift, double taskTokenRate) {}

    public record Dose(double alpha, double network, double randomMean, double randomLow, double randomHigh, double p,
                       double networkRate, double randomRate) {}

    public record Example(double alpha, String prompt, String text) {}

    public record Result(String task, String outcome, double norm, List<Point> points, List<Dose> doses, List<Example> examples) {}

    private Steer() {}

    public static Result run(String task, Panel panel, UnitPool pool, int[] network, BitSet exclude, Map<Tap, float[]> direction,
                             int taskBank, int controlBank, List<int[]> genPrompts, Set<Integer> taskTokens, Function<int[], String> decode,
                             Settings s, IntConsumer tick) {
        if (network.length == 0) throw new LlmriException("network " + task + " is empty; nothing to steer");
        UnitSet net = pool.set(network);
        double norm = net.norm(direction);
        if (!(norm > 0)) throw new LlmriException("network " + task + ": task and control means are equal on its units; no direction to steer");
        List<Point> points = new ArrayList<>();
        List<Example> examples = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(Lesion.mix(s.seed(), 77));
        List<UnitSet> sets = new ArrayList<>();
        sets.add(net);
        for (int r = 0; r < s.randomSets(); r++) sets.add(pool.set(pool.matched(network, exclude, rng)));
        for (int si = 0; si < sets.size(); si++) {
            UnitSet set = sets.get(si);
            double own = set.norm(direction);
            double scale = own > 0 ? norm / own : 0;
            Map<Tap, float[]> dir = scale == 1 ? direction : scaled(direction, scale);
            double base = Double.NaN, baseControl = Double.NaN;
            for (double a : s.alphas()) {
                var hook = a == 0 ? null : set.steer(dir, a);
                double outcome, control = Double.NaN;
                if (panel.decoder()) {
                    outcome = panel.logProb(hook, taskBank);
                    control = panel.logProb(hook, controlBank);
                } else {
                    outcome = panel.centroidCosine(hook, controlBank, taskBank);
                }
                if (Double.isNaN(base)) {
                    base = outcome;
                    baseControl = control;
                }
                double rate = Double.NaN;
                if (panel.decoder() && !genPrompts.isEmpty() && s.newTokens() > 0) {
                    List<Generator.Prompt> ps = genPrompts.stream().map(p -> new Generator.Prompt(p, 0)).toList();
                    List<int[]> out = new Generator(panel.outcomesModel()).generate(ps,
                            new Generator.Settings(s.newTokens(), Sampling.GREEDY, true, false, 0), hook, null);
                    long hit = 0, all = 0;
                    for (int[] g : out) {
                        for (int t : g) if (taskTokens.contains(t)) hit++;
                        all += g.length;
                    }
                    rate = all == 0 ? 0 : (double) hit / all;
                    if (si == 0) examples.add(new Example(a, decode.apply(genPrompts.get(0)), decode.apply(out.get(0))));
                }
                points.add(new Point(a, si, outcome, outcome - base, control - baseControl, rate));
                tick.accept(1);
            }
        }
        List<Dose> doses = new ArrayList<>();
        for (int ai = 0; ai < s.alphas().length; ai++) {
            Point n = points.get(ai);
            double[] rnd = new double[s.randomSets()];
            double rate = 0;
            int above = 0;
            for (int r = 0; r < rnd.length; r++) {
                Point p = points.get((r + 1) * s.alphas().length + ai);
                rnd[r] = p.shift();
                rate += p.taskTokenRate() / rnd.length;
                if (rnd[r] >= n.shift()) above++;
            }
            double[] sorted = rnd.clone();
            java.util.Arrays.sort(sorted);
            doses.add(new Dose(n.alpha(), n.shift(), DeficitMatrix.mean(rnd), Lesion.quantile(sorted, 0.05), Lesion.quantile(sorted, 0.95),
                    (1.0 + above) / (1.0 + rnd.length), n.taskTokenRate(), rate));
        }
        String outcome = panel.decoder() ? "task_logprob" : "control_to_task_cosine";
        return new Result(task, outcome, norm, points, doses, examples);
    }

    private static Map<Tap, float[]> scaled(Map<Tap, float[]> d, double k) {
        Map<Tap, float[]> out = new java.util.LinkedHashMap<>();
        for (var e : d.entrySet()) {
            float[] v = e.getValue().clone();
            for (int i = 0; i < v.length; i++) v[i] *= (float) k;
            out.put(e.getKey(), v);
        }
        return out;
    }
}
