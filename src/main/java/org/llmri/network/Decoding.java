package org.llmri.network;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.llmri.LlmriException;
import org.llmri.io.Tsv;

/**
 * Which task was the model doing? Leave-one-run-out decoding of held-out runs and held-out task blocks.
 *
 * <p>Folds: for each run number r, run r of every task is held out together and everything is learnt
 * from the other runs. Per fold:
 * <ul>
 *   <li>each unit is standardised by its standard deviation over every time point of the training runs
 *       (units constant there are left out), so units of different kinds and scales are comparable;</li>
 *   <li>a pattern is a contrast of block means, divided by that standard deviation: for a run, its
 *       task-block mean minus its control mean; for a task block, the block mean minus its run's control
 *       mean; a task's <em>template</em> is the average pattern of its training runs;</li>
 *   <li>each task's network comes from its training runs only ({@link TrainingNetworks});</li>
 *   <li><b>correlation</b>: a held-out pattern is assigned the task whose template it correlates with
 *       best (Pearson), over the union of all tasks' networks (both signs), or over all units when that
 *       union is empty;</li>
 *   <li><b>network</b>: it is assigned the task whose positive network has the highest mean pattern
 *       value (a task with an empty positive network cannot be chosen by this method).</li>
 * </ul>
 * Ties go to the task listed first. Chance is 1 / #tasks. The permutation test shuffles the task
 * labels of the training runs in every fold (networks and templates are rebuilt from the shuffled
 * labels; held-out labels stay true) and counts permutations whose accuracy reaches the observed one:
 * p = (count + 1) / (N + 1).
 */
public final class Decoding {
    private Decoding() {}

    public enum Method {
        CORRELATION, NETWORK;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What is decoded: a whole held-out run, or one held-out task block. */
    public enum Level {
        RUN, BLOCK;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public record Settings(int permutations, long seed) {
        public Settings {
            if (permutations < 0) throw new LlmriException("decoding: permutations must be >= 0, not " + permutations);
        }

        public static Settings defaults(long seed) {
            return new Settings(1000, seed);
        }
    }

    /** One held-out item; {@code block} is null for a whole run; a prediction is null when no task could be scored. */
    public record Item(Level level, RunKey run, String block, String truth, String predictedCorrelation, double scoreCorrelation,
            String predictedNetwork, double scoreNetwork) {
        public String predicted(Method m) {
            return m == Method.CORRELATION ? predictedCorrelation : predictedNetwork;
        }
    }

    /**
     * Accuracy of one method at one level.
     *
     * @param confusion rows = true task, columns = predicted task in {@link Result#tasks()} order, plus a
     *     last column for items no task could be assigned to
     */
    public record Score(Method method, Level level, int n, int correct, double accuracy, double chance, double p, int[][] confusion) {}

    /** What one fold used: the held-out run number, the training runs and how many units the correlation used. */
    public record Fold(int heldOutRun, int trainingRuns, int featureUnits, boolean restrictedToNetworks) {}

    public record Result(Settings settings, List<String> tasks, List<Fold> folds, List<Item> items, List<Score> scores) {
        public Result {
            tasks = List.copyOf(tasks);
            folds = List.copyOf(folds);
            items = List.copyOf(items);
            scores = List.copyOf(scores);
        }

        public Score score(Method m, Level l) {
            return scores.stream().filter(s -> s.method() == m && s.level() == l).findFirst().orElseThrow();
        }

        /**
         * Writes {@code decoding.tsv} (one row per held-out item), {@code decoding_summary.tsv} and
         * {@code decoding_confusion_<method>_<level>.tsv} into {@code dir}.
         */
        public void writeTsv(Path dir) {
            Tsv.write(dir.resolve("decoding.tsv"),
                    List.of("level", "task", "run", "block", "true_task", "predicted_correlation", "r_best",
                            "predicted_network", "network_mean_best", "correct_correlation", "correct_network"),
                    items.stream().map(i -> List.<Object>of(i.level().label(), i.run().task(), i.run().run(),
                            i.block() == null ? "n/a" : i.block(), i.truth(), orNa(i.predictedCorrelation()), i.scoreCorrelation(),
                            orNa(i.predictedNetwork()), i.scoreNetwork(), i.truth().equals(i.predictedCorrelation()),
                            i.truth().equals(i.predictedNetwork()))).toList());
            Tsv.write(dir.resolve("decoding_summary.tsv"),
                    List.of("method", "level", "n", "correct", "accuracy", "chance", "p_value", "permutations"),
                    scores.stream().map(s -> List.<Object>of(s.method().label(), s.level().label(), s.n(), s.correct(),
                            s.accuracy(), s.chance(), s.p(), settings.permutations())).toList());
            for (Score s : scores) {
                List<String> header = new ArrayList<>();
                header.add("true_task");
                header.addAll(tasks);
                header.add("none");
                List<List<Object>> rows = new ArrayList<>();
                for (int t = 0; t < tasks.size(); t++) {
                    List<Object> row = new ArrayList<>();
                    row.add(tasks.get(t));
                    for (int c : s.confusion()[t]) row.add(c);
                    rows.add(row);
                }
                Tsv.write(dir.resolve("decoding_confusion_" + s.method().label() + "_" + s.level().label() + ".tsv"), header, rows);
            }
        }

        private static String orNa(String s) {
            return s == null ? "n/a" : s;
        }
    }

    /** How many permutation steps {@link #run} reports to its progress callback. */
    public static long steps(List<BlockSummary> runs, Settings settings) {
        return (long) runs.stream().map(b -> b.run().run()).distinct().count() * settings.permutations();
    }

    public static Result run(List<BlockSummary> runs, TrainingNetworks networks, Settings settings) {
        return run(runs, networks, settings, () -> {});
    }

    /** Decodes; {@code tick} is called once per permutation per fold (for a progress bar). */
    public static Result run(List<BlockSummary> runs, TrainingNetworks networks, Settings settings, Runnable tick) {
        List<String> tasks = runs.stream().map(b -> b.run().task()).distinct().toList();
        if (tasks.size() < 2) throw new LlmriException("decoding needs at least 2 tasks, got " + tasks.size());
        Map<String, TreeSet<Integer>> runsOf = new TreeMap<>();
        for (BlockSummary b : runs) {
            if (!runsOf.computeIfAbsent(b.run().task(), k -> new TreeSet<>()).add(b.run().run())) {
                throw new LlmriException("decoding: " + b.run() + " given twice");
            }
            if (b.units() != runs.get(0).units()) throw new LlmriException("decoding: " + b.run() + " has " + b.units() + " units, " + runs.get(0).run() + " has " + runs.get(0).units());
        }
        for (var e : runsOf.entrySet()) {
            if (e.getValue().size() < 2) {
                throw new LlmriException("decoding needs at least 2 runs per task (leave one run out); task " + e.getKey() + " has " + e.getValue().size());
            }
        }
        TreeSet<Integer> runNumbers = new TreeSet<>();
        runs.forEach(b -> runNumbers.add(b.run().run()));

        int nTasks = tasks.size();
        List<Item> items = new ArrayList<>();
        List<Fold> folds = new ArrayList<>();
        // correct counts per permutation, summed over folds: [method][level][permutation]
        int[][][] permCorrect = new int[2][2][settings.permutations()];
        for (int heldOut : runNumbers) {
            FoldData fold = FoldData.of(runs, heldOut);
            String[] trueLabels = fold.trainingLabels();
            Assignment observed = fold.classify(trueLabels, tasks, networks);
            folds.add(new Fold(heldOut, fold.training.size(), observed.featureUnits, observed.restricted));
            for (int i = 0; i < fold.items.size(); i++) {
                HeldOut h = fold.items.get(i);
                items.add(new Item(h.level, h.run, h.block, h.run.task(), observed.predicted[0][i], observed.best[0][i],
                        observed.predicted[1][i], observed.best[1][i]));
            }
            for (int k = 0; k < settings.permutations(); k++) {
                SplittableRandom rng = Stats.stream(settings.seed(), heldOut, k);
                String[] shuffled = trueLabels.clone();
                Stats.shuffle(shuffled, rng);
                Assignment a = fold.classify(shuffled, tasks, networks);
                for (int m = 0; m < 2; m++) {
                    for (int i = 0; i < fold.items.size(); i++) {
                        HeldOut h = fold.items.get(i);
                        if (h.run.task().equals(a.predicted[m][i])) permCorrect[m][h.level.ordinal()][k]++;
                    }
                }
                tick.run();
            }
        }

        List<Score> scores = new ArrayList<>();
        for (Method m : Method.values()) {
            for (Level l : Level.values()) {
                int[][] confusion = new int[nTasks][nTasks + 1];
                int n = 0, correct = 0;
                for (Item it : items) {
                    if (it.level() != l) continue;
                    n++;
                    String p = it.predicted(m);
                    if (it.truth().equals(p)) correct++;
                    confusion[tasks.indexOf(it.truth())][p == null ? nTasks : tasks.indexOf(p)]++;
                }
                int atLeast = 0;
                for (int c : permCorrect[m.ordinal()][l.ordinal()]) if (c >= correct) atLeast++;
                double p = settings.permutations() == 0 ? Double.NaN : Stats.permutationP(atLeast, settings.permutations());
                scores.add(new Score(m, l, n, correct, n == 0 ? Double.NaN : (double) correct / n, 1.0 / nTasks, p, confusion));
            }
        }
        return new Result(settings, tasks, folds, items, scores);
    }

    private record HeldOut(Level level, RunKey run, String block, double[] pattern) {}

    private record Assignment(String[][] predicted, double[][] best, int featureUnits, boolean restricted) {}

    /** A fold's standardised training patterns and held-out patterns; labels are supplied per classification. */
    private static final class FoldData {
        final List<BlockSummary> training = new ArrayList<>();
        final List<double[]> trainingPatterns = new ArrayList<>();
        final List<HeldOut> items = new ArrayList<>();
        BitSet usableSet;
        int[] usableUnits;
        int units;

        static FoldData of(List<BlockSummary> runs, int heldOut) {
            FoldData f = new FoldData();
            f.units = runs.get(0).units();
            List<BlockSummary> test = new ArrayList<>();
            for (BlockSummary b : runs) (b.run().run() == heldOut ? test : f.training).add(b);
            double[] scale = inverseSd(f.training, f.units);
            f.usableSet = new BitSet(f.units);
            for (int u = 0; u < f.units; u++) if (scale[u] > 0) f.usableSet.set(u);
            f.usableUnits = f.usableSet.stream().toArray();
            for (BlockSummary b : f.training) f.trainingPatterns.add(contrast(b.onMean(), b.offMean(), scale));
            for (BlockSummary b : test) {
                f.items.add(new HeldOut(Level.RUN, b.run(), null, contrast(b.onMean(), b.offMean(), scale)));
            }
            for (BlockSummary b : test) {
                for (int k = 0; k < b.taskBlocks().size(); k++) {
                    f.items.add(new HeldOut(Level.BLOCK, b.run(), b.taskBlocks().get(k), contrast(b.blockMeans()[k], b.offMean(), scale)));
                }
            }
            return f;
        }

        String[] trainingLabels() {
            return training.stream().map(b -> b.run().task()).toArray(String[]::new);
        }

        /** 1 / sd per unit over every time point of the training runs; 0 for a unit that is (numerically) constant. */
        private static double[] inverseSd(List<BlockSummary> runs, int units) {
            double[] out = new double[units];
            long n = 0;
            for (BlockSummary b : runs) n += b.timePoints();
            for (int u = 0; u < units; u++) {
                double s = 0, sq = 0;
                for (BlockSummary b : runs) {
                    s += b.sum()[u];
                    sq += b.sumSquares()[u];
                }
                double mean = s / n, var = sq / n - mean * mean;
                double sd = Math.sqrt(Math.max(var, 0));
                out[u] = Double.isFinite(sd) && sd > 1e-6 * Math.max(1, Math.abs(mean)) ? 1 / sd : 0;
            }
            return out;
        }

        private static double[] contrast(double[] on, double[] off, double[] scale) {
            double[] out = new double[on.length];
            for (int u = 0; u < on.length; u++) out[u] = (on[u] - off[u]) * scale[u];
            return out;
        }

        Assignment classify(String[] labels, List<String> tasks, TrainingNetworks networks) {
            int nTasks = tasks.size();
            List<List<Integer>> members = new ArrayList<>();
            BitSet[] positive = new BitSet[nTasks];
            BitSet union = new BitSet(units);
            for (int t = 0; t < nTasks; t++) {
                List<Integer> js = new ArrayList<>();
                List<RunKey> keys = new ArrayList<>();
                for (int j = 0; j < training.size(); j++) {
                    if (labels[j].equals(tasks.get(t))) {
                        js.add(j);
                        keys.add(training.get(j).run());
                    }
                }
                members.add(js);
                if (keys.isEmpty()) continue;
                Network net = networks.forRuns(tasks.get(t), keys);
                if (net.units() != units) throw new LlmriException("decoding: network of " + tasks.get(t) + " has " + net.units() + " units, activations " + units);
                positive[t] = net.maskView(Network.Sign.POSITIVE);
                union.or(net.maskView(Network.Sign.POSITIVE));
                union.or(net.maskView(Network.Sign.NEGATIVE));
            }
            union.and(usableSet);
            boolean restricted = !union.isEmpty();
            int[] features = restricted ? union.stream().toArray() : usableUnits;
            // templates are only ever read at the feature units, so only those are averaged
            double[][] templates = new double[nTasks][];
            for (int t = 0; t < nTasks; t++) {
                List<Integer> js = members.get(t);
                if (js.isEmpty()) continue;
                double[] sum = new double[features.length];
                for (int j : js) {
                    double[] x = trainingPatterns.get(j);
                    for (int f = 0; f < features.length; f++) sum[f] += x[features[f]];
                }
                for (int f = 0; f < features.length; f++) sum[f] /= js.size();
                templates[t] = sum;
            }
            int[][] networkUnits = new int[nTasks][];
            for (int t = 0; t < nTasks; t++) {
                if (positive[t] == null) continue;
                BitSet b = (BitSet) positive[t].clone();
                b.and(usableSet);
                networkUnits[t] = b.stream().toArray();
            }
            String[][] predicted = new String[2][items.size()];
            double[][] best = new double[2][items.size()];
            double[] gathered = new double[features.length];
            int[] identity = new int[features.length];
            for (int f = 0; f < features.length; f++) identity[f] = f;
            for (int i = 0; i < items.size(); i++) {
                double[] x = items.get(i).pattern;
                for (int f = 0; f < features.length; f++) gathered[f] = x[features[f]];
                double[] byCorrelation = new double[nTasks], byNetwork = new double[nTasks];
                for (int t = 0; t < nTasks; t++) {
                    byCorrelation[t] = templates[t] == null ? Double.NaN : Stats.pearson(gathered, templates[t], identity);
                    byNetwork[t] = networkUnits[t] == null || networkUnits[t].length == 0 ? Double.NaN : meanOver(x, networkUnits[t]);
                }
                int c = argmax(byCorrelation), n = argmax(byNetwork);
                predicted[0][i] = c < 0 ? null : tasks.get(c);
                best[0][i] = c < 0 ? Double.NaN : byCorrelation[c];
                predicted[1][i] = n < 0 ? null : tasks.get(n);
                best[1][i] = n < 0 ? Double.NaN : byNetwork[n];
            }
            return new Assignment(predicted, best, features.length, restricted);
        }

        private static double meanOver(double[] x, int[] units) {
            double s = 0;
            for (int u : units) s += x[u];
            return s / units.length;
        }

        private static int argmax(double[] v) {
            int best = -1;
            for (int i = 0; i < v.length; i++) if (!Double.isNaN(v[i]) && (best < 0 || v[i] > v[best])) best = i;
            return best;
        }
    }
}
