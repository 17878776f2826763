package org.llmri.network;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.llmri.LlmriException;
import org.llmri.io.Tsv;

/**
 * Repeatability across runs of the same task (runs use disjoint prompts): the Dice of their networks
 * and the Pearson correlation of their z maps, set against pairs of runs of different tasks.
 *
 * <p>Within-task pairs are all pairs of runs of one task. Between-task pairs are runs of two different
 * tasks with the same run index, so both sides of a comparison come from the same position in the
 * study. The test of "within &gt; between" permutes the task labels among the runs that share a run
 * index (a run keeps its index, only its task changes), recomputes mean(within) &minus; mean(between),
 * and reports p = (#{permuted &ge; observed} + 1) / (N + 1). With few tasks the number of distinct
 * relabellings is small (k! per extra run index for k tasks), which bounds how small p can get.
 */
public final class Repeatability {
    private Repeatability() {}

    /** One run's map: its z values and its network (the GLM's per-run results). */
    public record RunMap(RunKey run, double[] z, Network network) {
        public RunMap {
            if (z.length != network.units()) {
                throw new LlmriException(run + ": z map has " + z.length + " units, network " + network.units());
            }
        }
    }

    public record Settings(int permutations, long seed) {
        public Settings {
            if (permutations < 1) throw new LlmriException("repeatability: permutations must be >= 1, not " + permutations);
        }

        public static Settings defaults(long seed) {
            return new Settings(1000, seed);
        }
    }

    /** One pair of runs; {@code withinTask} tells which kind of pair it is. */
    public record Pair(RunKey a, RunKey b, boolean withinTask, double dicePositive, double diceNegative, double pearsonR) {}

    /** Mean of a measure within and between tasks, with the permutation p value of the difference. */
    public record Summary(String measure, double meanWithin, double meanBetween, int nWithin, int nBetween, double p) {}

    public record Result(Settings settings, List<Pair> pairs, List<Summary> summary) {
        public Result {
            pairs = List.copyOf(pairs);
            summary = List.copyOf(summary);
        }

        /** Writes {@code repeatability.tsv} (one row per pair) and {@code repeatability_summary.tsv}. */
        public void writeTsv(Path dir) {
            Tsv.write(dir.resolve("repeatability.tsv"),
                    List.of("task_a", "run_a", "task_b", "run_b", "relation", "dice_positive", "dice_negative", "pearson_r"),
                    pairs.stream().map(p -> List.<Object>of(p.a().task(), p.a().run(), p.b().task(), p.b().run(),
                            p.withinTask() ? "within" : "between", p.dicePositive(), p.diceNegative(), p.pearsonR())).toList());
            Tsv.write(dir.resolve("repeatability_summary.tsv"),
                    List.of("measure", "mean_within", "mean_between", "n_within", "n_between", "p_value", "permutations"),
                    summary.stream().map(s -> List.<Object>of(s.measure(), s.meanWithin(), s.meanBetween(), s.nWithin(),
                            s.nBetween(), s.p(), settings.permutations())).toList());
        }
    }

    public static final String DICE = "dice_positive";
    public static final String PEARSON = "pearson_r";

    public static Result compute(List<RunMap> runs, Settings settings) {
        int n = runs.size();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (runs.get(i).run().equals(runs.get(j).run())) throw new LlmriException("repeatability: run " + runs.get(i).run() + " given twice");
                if (runs.get(i).z().length != runs.get(j).z().length) {
                    throw new LlmriException("repeatability: " + runs.get(i).run() + " and " + runs.get(j).run() + " have different unit counts");
                }
            }
        }
        // every pair's measures, computed once: the permutations only relabel them
        double[][] dice = new double[n][n], r = new double[n][n];
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                RunMap a = runs.get(i), b = runs.get(j);
                boolean within = a.run().task().equals(b.run().task());
                boolean between = !within && a.run().run() == b.run().run();
                // every pair is measured: a relabelling can make any two runs of different indices a within pair
                dice[i][j] = Overlap.Metrics.of(a.network().maskView(Network.Sign.POSITIVE), b.network().maskView(Network.Sign.POSITIVE)).dice();
                r[i][j] = Stats.pearson(a.z(), b.z());
                if (!within && !between) continue;
                double diceNeg = Overlap.Metrics.of(a.network().maskView(Network.Sign.NEGATIVE), b.network().maskView(Network.Sign.NEGATIVE)).dice();
                pairs.add(new Pair(a.run(), b.run(), within, dice[i][j], diceNeg, r[i][j]));
            }
        }
        pairs.sort((x, y) -> Boolean.compare(y.withinTask(), x.withinTask()));
        String[] labels = runs.stream().map(m -> m.run().task()).toArray(String[]::new);
        int[] runIndex = runs.stream().mapToInt(m -> m.run().run()).toArray();
        // items that share a run index are the ones whose labels may trade places
        TreeMap<Integer, List<Integer>> byRunIndex = new TreeMap<>();
        for (int i = 0; i < n; i++) byRunIndex.computeIfAbsent(runIndex[i], k -> new ArrayList<>()).add(i);

        List<Summary> summary = new ArrayList<>();
        int measureIndex = 0;
        for (var measure : List.of(java.util.Map.entry(DICE, dice), java.util.Map.entry(PEARSON, r))) {
            double[][] m = measure.getValue();
            Split observed = split(m, labels, runIndex);
            int atLeast = 0;
            SplittableRandom rng = Stats.stream(settings.seed(), measureIndex++);
            String[] permuted = labels.clone();
            for (int k = 0; k < settings.permutations(); k++) {
                for (List<Integer> group : byRunIndex.values()) {
                    String[] g = new String[group.size()];
                    for (int x = 0; x < g.length; x++) g[x] = labels[group.get(x)];
                    Stats.shuffle(g, rng);
                    for (int x = 0; x < g.length; x++) permuted[group.get(x)] = g[x];
                }
                Split s = split(m, permuted, runIndex);
                if (s.difference() >= observed.difference() - 1e-12) atLeast++;
            }
            double p = Double.isNaN(observed.difference()) ? Double.NaN : Stats.permutationP(atLeast, settings.permutations());
            summary.add(new Summary(measure.getKey(), observed.meanWithin, observed.meanBetween, observed.nWithin, observed.nBetween, p));
        }
        return new Result(settings, pairs, summary);
    }

    private record Split(double meanWithin, double meanBetween, int nWithin, int nBetween) {
        double difference() {
            return meanWithin - meanBetween;
        }
    }

    /** Means of the measure over within-label pairs and over between-label pairs with the same run index; NaN pairs skipped. */
    private static Split split(double[][] m, String[] labels, int[] runIndex) {
        double sw = 0, sb = 0;
        int nw = 0, nb = 0;
        for (int i = 0; i < labels.length; i++) {
            for (int j = i + 1; j < labels.length; j++) {
                boolean within = labels[i].equals(labels[j]);
                if (!within && runIndex[i] != runIndex[j]) continue;
                double v = i < j ? m[i][j] : m[j][i];
                if (Double.isNaN(v)) continue;
                if (within) {
                    sw += v;
                    nw++;
                } else {
                    sb += v;
                    nb++;
                }
            }
        }
        return new Split(nw == 0 ? Double.NaN : sw / nw, nb == 0 ? Double.NaN : sb / nb, nw, nb);
    }
}
