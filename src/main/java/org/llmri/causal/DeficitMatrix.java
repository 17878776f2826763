package org.llmri.causal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.llmri.model.Tap;

/**
 * The lesion-deficit matrix: every task's network lesioned (at one fraction, with its matched random sets),
 * every bank measured. A cell's specificity is (deficit on the task's bank − deficit on control) minus the same
 * for the random sets' mean, with a one-sided permutation p. A pair (A, B) dissociates doubly when lesioning A
 * impairs A's bank more than B's beyond A's random sets, and lesioning B impairs B's more than A's beyond B's,
 * both at Benjamini–Hochberg q ≤ alpha over every ordered pair.
 */
public final class DeficitMatrix {
    public record Cell(String network, String bank, double deficit, double randomMean, double specificity, double p) {}

    public record Pair(String a, String b, double specificityA, double pA, double qA, double specificityB, double pB, double qB,
                       boolean doubleDissociation) {}

    public record Result(double fraction, List<String> networks, List<String> banks, List<Cell> cells, List<Pair> pairs,
                         Map<String, Integer> sizes) {}

    private DeficitMatrix() {}

    public static Result run(Panel panel, UnitPool pool, Map<String, int[]> ranked, double fraction, Lesion.Mode mode, int randomSets,
                             long seed, double alpha, Panel.Score intact, IntConsumer tick) {
        Map<Tap, float[]> means = mode == Lesion.Mode.MEAN ? pool.controlMeans() : null;
        List<String> banks = panel.banks().stream().map(Panel.Bank::name).toList();
        int control = banks.size() - 1;
        List<String> networks = new ArrayList<>(ranked.keySet());
        Map<String, double[]> observed = new LinkedHashMap<>();
        Map<String, double[][]> nulls = new LinkedHashMap<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        int ni = 0;
        for (String a : networks) {
            int[] units = ranked.get(a);
            int k = Lesion.count(fraction, units.length);
            int[] chosen = java.util.Arrays.copyOf(units, k);
            sizes.put(a, k);
            BitSet exclude = new BitSet();
            for (int g : units) exclude.set(g);
            observed.put(a, Lesion.deficit(panel, pool.set(chosen), means, intact));
            tick.accept(1);
            SplittableRandom rng = new SplittableRandom(Lesion.mix(seed, 1000 + ni++));
            double[][] rnd = new double[randomSets][];
            for (int r = 0; r < randomSets; r++) {
                rnd[r] = Lesion.deficit(panel, pool.set(pool.matched(chosen, exclude, rng)), means, intact);
                tick.accept(1);
            }
            nulls.put(a, rnd);
        }
        List<Cell> cells = new ArrayList<>();
        for (String a : networks) {
            double[] obs = observed.get(a);
            double[][] rnd = nulls.get(a);
            for (int b = 0; b < banks.size(); b++) {
                double[] c = contrast(obs, rnd, b, control);
                cells.add(new Cell(a, banks.get(b), obs[b], mean(column(rnd, b)), c[0], c[1]));
            }
        }
        // ordered pairs of networks that are also banks
        List<double[]> tests = new ArrayList<>();
        List<String[]> names = new ArrayList<>();
        for (String a : networks) {
            if (!banks.contains(a)) continue;
            for (String b : networks) {
                if (a.equals(b) || !banks.contains(b)) continue;
                tests.add(contrast(observed.get(a), nulls.get(a), banks.indexOf(a), banks.indexOf(b)));
                names.add(new String[] {a, b});
            }
        }
        double[] p = tests.stream().mapToDouble(t -> t[1]).toArray();
        double[] q = benjaminiHochberg(p);
        Map<String, Integer> at = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) at.put(names.get(i)[0] + "\t" + names.get(i)[1], i);
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String a = names.get(i)[0], b = names.get(i)[1];
            if (a.compareTo(b) >= 0 && at.containsKey(b + "\t" + a)) continue; // each unordered pair once
            int j = at.getOrDefault(b + "\t" + a, -1);
            if (j < 0) continue;
            boolean dd = q[i] <= alpha && q[j] <= alpha && tests.get(i)[0] > 0 && tests.get(j)[0] > 0;
            pairs.add(new Pair(a, b, tests.get(i)[0], p[i], q[i], tests.get(j)[0], p[j], q[j], dd));
        }
        return new Result(fraction, networks, banks, cells, pairs, sizes);
    }

    /** (deficit[x] − deficit[y]) of the network minus the random sets' mean, and its one-sided permutation p. */
    static double[] contrast(double[] obs, double[][] rnd, int x, int y) {
        double e = obs[x] - obs[y];
        double mean = 0;
        int above = 0;
        for (double[] r : rnd) {
            double v = r[x] - r[y];
            mean += v / rnd.length;
            if (v >= e) above++;
        }
        return new double[] {e - mean, (1.0 + above) / (1.0 + rnd.length)};
    }

    static double[] column(double[][] m, int c) {
        double[] out = new double[m.length];
        for (int i = 0; i < m.length; i++) out[i] = m[i][c];
        return out;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** Benjamini–Hochberg adjusted p values (step-up, made monotone, capped at 1). */
    static double[] benjaminiHochberg(double[] p) {
        int n = p.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double[] q = new double[n];
        double run = 1;
        for (int r = 0; r < n; r++) {
            int i = order[r];
            int rank = n - r;
            run = Math.min(run, p[i] * n / rank);
            q[i] = Math.min(1, run);
        }
        return q;
    }
}
