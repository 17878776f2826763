package org.llmri.glm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;
import org.llmri.dataset.BidsNames;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.RunFile;
import org.llmri.dataset.RunStatistics;
import org.llmri.dataset.Runs;
import org.llmri.dataset.UnitLayout;
import org.llmri.io.Npy;
import org.llmri.io.RowMajorMatrix;
import org.llmri.io.Tsv;

/**
 * The prompt-level analysis of a whole scan dataset (the default of {@code llmri glm --dataset} and
 * {@code llmri study}): every run reduced to prompt means (saved as
 * {@code <run prefix>_desc-promptmeans.npy}, float32 [prompts, units], beside its task labels
 * {@code <run prefix>_desc-promptmeans_labels.tsv}), then per run and per task (fixed effects over runs) the
 * prompt-level t of task &minus; control (see {@link PromptLevel}), written with the same names as the
 * token-level GLM's maps so every reader works on both.
 */
public final class PromptLevelDataset {
    private PromptLevelDataset() {}

    /** The FWER family: each map alone, or every task's top-level map together. */
    public enum Family {
        MAP, TASKS;

        public static Family parse(String s) {
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "map", "maps" -> MAP;
                case "tasks", "task" -> TASKS;
                default -> throw new LlmriException("--fwer-family: expected map or tasks, got '" + s + "'");
            };
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether every run's events carry a {@code prompt_id} column (a scan dataset). */
    public static boolean hasPromptIds(Path eventsTsv) {
        return Tsv.read(eventsTsv).hasColumn("prompt_id");
    }

    /** The path of a run's saved prompt means. */
    public static Path promptMeans(Path outDir, String subject, String task, int run) {
        return outDir.resolve("sub-" + subject).resolve("sub-" + subject + "_task-" + task + "_run-" + run + "_desc-promptmeans.npy");
    }

    /** Reads saved prompt means and their labels back. */
    public static PromptLevel.RunMeans readMeans(Path npy) {
        Path labels = npy.resolveSibling(npy.getFileName().toString().replace(".npy", "_labels.tsv"));
        Tsv.Table t = Tsv.read(labels);
        List<String> type = t.column("trial_type");
        boolean[] task = new boolean[type.size()];
        for (int i = 0; i < task.length; i++) task[i] = type.get(i).equals(PromptLevel.TASK);
        Npy.Header h = Npy.readHeader(npy);
        if (h.shape().length != 2 || h.shape()[0] != task.length) throw new LlmriException(npy + ": not [" + task.length + ", units]");
        float[] f = Npy.readFloats(npy);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return new PromptLevel.RunMeans(npy.toString(), task, (int) h.shape()[1], d);
    }

    public static GlmOutputs.DatasetOutput run(Path datasetDir, Path outDir, GlmOptions opts, Family family, ProgressListener progress) {
        return run(Runs.complete(datasetDir), datasetDir.resolve(Dataset.UNITS_FILE), outDir, opts, family, progress);
    }

    /** As {@link #run(Path, Path, GlmOptions, Family, ProgressListener)} for runs already found (and checked complete). */
    public static GlmOutputs.DatasetOutput run(List<RunFile> found, Path unitsTsv, Path outDir, GlmOptions opts, Family family,
                                               ProgressListener progress) {
        if (opts.contrasts().size() != 1 || !opts.contrasts().get(0).replace(" ", "").equals("task-control")) {
            throw new LlmriException("the prompt-level test has one contrast, task - control; for " + opts.contrasts()
                    + " use --inference token");
        }
        String label = Contrast.parse(opts.contrasts().get(0), List.of(PromptLevel.CONTROL, PromptLevel.TASK)).label();
        Map<String, List<RunFile>> groups = new TreeMap<>();
        for (RunFile r : found) {
            groups.computeIfAbsent(r.subject() + "\u0000" + r.task(), k -> new ArrayList<>()).add(r);
        }
        PromptLevel.Settings settings = new PromptLevel.Settings(opts.tail(), opts.permutations(), opts.seed(), opts.alpha(), opts.threads());
        List<List<RunFile>> tasks = new ArrayList<>(groups.values());
        int[] units = {-1};
        // each task's prompt means are loaded when its maps are tested and dropped after: one task's runs in memory
        // at a time (a family of every task tests them together, so it holds them all)
        List<List<PromptLevel.RunMeans>> all = new ArrayList<>();
        List<PromptLevel.MapResult> familyTop = null;
        if (family == Family.TASKS) {
            for (List<RunFile> runs : tasks) all.add(loadMeans(runs, outDir, opts, units, progress));
            familyTop = PromptLevel.test(all, label, settings, step(progress, "all tasks"));
        }
        UnitLayout layout = null;
        List<GlmOutputs.TaskOutput> outputs = new ArrayList<>();
        List<List<Object>> summary = new ArrayList<>();
        for (int k = 0; k < tasks.size(); k++) {
            List<RunFile> runs = tasks.get(k);
            String sub = runs.get(0).subject(), task = runs.get(0).task();
            List<PromptLevel.RunMeans> means = family == Family.TASKS ? all.set(k, null) : loadMeans(runs, outDir, opts, units, progress);
            if (layout == null) layout = UnitLayout.forUnits(units[0], unitsTsv);
            // the top level of the task (fixed effects over its runs, or its one run), tested alone or in the family
            PromptLevel.MapResult top = family == Family.TASKS ? familyTop.get(k)
                    : PromptLevel.test(List.of(means), label, settings, step(progress, "task " + task)).get(0);
            Path dir = outDir.resolve("sub-" + sub);
            List<GlmOutputs.LevelOutput> levels = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                PromptLevel.MapResult res = runs.size() == 1 ? top
                        : PromptLevel.test(List.of(List.of(means.get(i))), label, settings,
                                step(progress, "task " + task + " run " + runs.get(i).run())).get(0);
                String prefix = runs.get(i).prefix();
                levels.add(write(new MapWriter(dir, prefix, layout, opts.nifti()), prefix, runs.get(i).run(), res, opts,
                        runs.size() == 1 ? family : Family.MAP));
            }
            GlmOutputs.LevelOutput fixed = null;
            if (runs.size() > 1) {
                String prefix = BidsNames.taskPrefix(sub, task);
                fixed = write(new MapWriter(dir, prefix, layout, opts.nifti()), prefix, 0, top, opts, family);
            }
            outputs.add(new GlmOutputs.TaskOutput(sub, task, levels, fixed));
            for (GlmOutputs.LevelOutput l : levels) addSummary(summary, sub, task, l, units[0]);
            if (fixed != null) addSummary(summary, sub, task, fixed, units[0]);
        }
        Path sumFile = outDir.resolve("glm_summary.tsv");
        Tsv.write(sumFile, List.of("subject", "task", "run", "contrast", "inference", "correction", "alpha", "tail", "critical_t",
                "critical_z", "significant", "units", "dof", "prompts", "permutations", "distinct_labelings", "min_p", "fwer_family",
                "nan_units", "constant_units"), summary);
        return new GlmOutputs.DatasetOutput(outDir, outputs, sumFile);
    }

    /** One task's runs reduced to prompt means (each saved beside the maps); {@code units[0]}: every run's width, checked equal. */
    private static List<PromptLevel.RunMeans> loadMeans(List<RunFile> runs, Path outDir, GlmOptions opts, int[] units, ProgressListener progress) {
        List<PromptLevel.RunMeans> m = new ArrayList<>();
        String what = "task " + runs.get(0).task() + ": prompt means";
        progress.progress(what, 0, runs.size());
        for (RunFile r : runs) {
            PromptLevel.RunMeans rm = means(r, opts.threads());
            if (units[0] >= 0 && rm.units() != units[0]) throw new LlmriException(r.data() + ": " + rm.units() + " units, other runs have " + units[0]);
            units[0] = rm.units();
            m.add(rm);
            save(promptMeans(outDir, r.subject(), r.task(), r.run()), rm);
            progress.progress(what, m.size(), runs.size());
        }
        return m;
    }

    /**
     * A run's prompt means: from the scanner's fused statistics when the run has them (no pass over the
     * activations), else from one streaming pass over its activations. Both give the same numbers.
     */
    public static PromptLevel.RunMeans means(RunFile r, int threads) {
        Events events = Events.read(r.events());
        if (r.hasStats()) {
            int[] durations = new int[events.events().size()];
            for (int p = 0; p < durations.length; p++) durations[p] = (int) events.events().get(p).duration();
            RunStatistics st = RunStatistics.read(r.stats(), durations);
            return PromptLevel.RunMeans.fromSums(r.stats().toString(), events, st.units(), st.sums());
        }
        if (!r.hasActivations()) throw new LlmriException(r.data() + ": no such file, and no " + r.stats().getFileName() + " beside it");
        try (RowMajorMatrix data = RowMajorMatrix.ofNpy(r.data())) {
            return PromptLevel.RunMeans.read(data, events, threads);
        }
    }

    private static ProgressListener step(ProgressListener p, String what) {
        return (w, d, t) -> p.progress(what + ": " + w, d, t);
    }

    private static void save(Path npy, PromptLevel.RunMeans m) {
        float[] f = new float[m.values().length];
        for (int i = 0; i < f.length; i++) f[i] = (float) m.values()[i];
        try {
            Files.createDirectories(npy.getParent());
        } catch (java.io.IOException e) {
            throw new LlmriException(npy.getParent() + ": cannot create (" + e.getMessage() + ")");
        }
        Npy.write(npy, f, m.prompts(), m.units());
        List<List<Object>> rows = new ArrayList<>();
        for (int p = 0; p < m.prompts(); p++) rows.add(List.of(p, m.task()[p] ? PromptLevel.TASK : PromptLevel.CONTROL));
        Tsv.write(npy.resolveSibling(npy.getFileName().toString().replace(".npy", "_labels.tsv")), List.of("prompt", "trial_type"), rows);
    }

    private static GlmOutputs.LevelOutput write(MapWriter w, String prefix, int run, PromptLevel.MapResult r, GlmOptions opts, Family family) {
        var files = w.maps(r.maps());
        List<GlmOutputs.CorrectionOutput> corr = new ArrayList<>();
        for (Correction k : opts.corrections()) {
            GlmOutputs.CorrectionOutput c = w.significance(r.maps(), r.significance(k, opts.alpha(), opts.tail()));
            double ct = r.criticalT(k, opts.alpha(), opts.tail());
            double cz = Double.isNaN(ct) ? Double.NaN : Math.abs(Distributions.zFromT(ct, r.maps().dof()));
            corr.add(new GlmOutputs.CorrectionOutput(c.correction(), c.alpha(), c.tail(), c.threshold(), c.significant(), c.mask(),
                    c.thresholdedZ(), c.adjusted(), c.table(), ct, cz));
        }
        var contrast = new GlmOutputs.ContrastOutput(r.maps().label(), opts.contrasts().get(0), false, r.maps().dof(), files, corr);
        var inference = new GlmOutputs.Inference("prompt", r.maps().dof(), r.runs(), r.prompts(), r.taskPrompts(), opts.permutations(),
                r.distinctLabelings(), r.minP(), r.nanUnits(), r.constantUnits(), family.label());
        // the standardized effect (between-prompt SDs) beside the other maps
        Path std = files.get("effect").resolveSibling(prefix + "_contrast-" + r.maps().label() + "_stat-cohend_statmap.npy");
        Npy.write(std, r.standardized(), r.standardized().length);
        return new GlmOutputs.LevelOutput(prefix, run, null, List.of(contrast), inference);
    }

    private static void addSummary(List<List<Object>> rows, String sub, String task, GlmOutputs.LevelOutput l, int units) {
        GlmOutputs.Inference inf = l.inference();
        for (GlmOutputs.ContrastOutput c : l.contrasts()) {
            for (GlmOutputs.CorrectionOutput k : c.corrections()) {
                rows.add(List.of(sub, task, l.isFixedEffects() ? "fixed" : Integer.toString(l.run()), c.label(), inf.level(),
                        k.correction().label(), k.alpha(), k.tail().label(), k.criticalT(), k.criticalZ(), k.significant(), units, c.dof(),
                        inf.prompts(), inf.permutations(), inf.distinctLabelings(), inf.minP(), inf.family(), inf.nanUnits(),
                        inf.constantUnits()));
            }
        }
    }
}
