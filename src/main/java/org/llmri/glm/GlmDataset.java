package org.llmri.glm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;
import org.llmri.dataset.UnitLayout;
import org.llmri.dataset.BidsNames;
import org.llmri.dataset.RunFile;
import org.llmri.dataset.TokenStatistics;
import org.llmri.dataset.Runs;
import org.llmri.io.RowMajorMatrix;
import org.llmri.io.Tsv;

/**
 * The GLM of a whole scan dataset ({@code llmri glm --dataset DIR}): for every subject and task, each run
 * {@code sub-<s>/func/sub-<s>_task-<t>_run-<n>_activations.npy} is fitted with the design built from its
 * {@code _events.tsv}, then runs are combined by fixed effects; maps go to {@code OUT/sub-<s>/} with the
 * run prefix {@code sub-<s>_task-<t>_run-<n>} and the fixed-effects prefix {@code sub-<s>_task-<t>}.
 * FWE thresholds come from max-T permutation of the events' labels, independently in each run (for the
 * fixed effects, the combined statistic's maximum per joint permutation).
 */
public final class GlmDataset {
    private GlmDataset() {}

    /** Fits every task of every subject and writes maps, thresholds and {@code OUT/glm_summary.tsv}. */
    public static GlmOutputs.DatasetOutput run(Path datasetDir, Path outDir, GlmOptions opts, ProgressListener progress) {
        return run(Runs.complete(datasetDir), datasetDir.resolve("units.tsv"), outDir, opts, progress);
    }

    /** As {@link #run(Path, Path, GlmOptions, ProgressListener)} for runs already found (and checked complete). */
    public static GlmOutputs.DatasetOutput run(List<RunFile> found, Path unitsTsv, Path outDir, GlmOptions opts, ProgressListener progress) {
        boolean fused = found.stream().anyMatch(r -> !r.hasActivations());
        if (fused) requireTokenStatistics(found, opts);
        Map<String, List<RunFile>> groups = new TreeMap<>();
        for (RunFile r : found) groups.computeIfAbsent(r.subject() + "\u0000" + r.task(), k -> new ArrayList<>()).add(r);
        List<GlmOutputs.TaskOutput> tasks = new ArrayList<>();
        List<List<Object>> summary = new ArrayList<>();
        for (List<RunFile> runs : groups.values()) {
            RunFile first = runs.get(0);
            String sub = first.subject(), task = first.task();
            Path dir = outDir.resolve("sub-" + sub);
            List<RowMajorMatrix> mats = new ArrayList<>();
            try {
                List<MultiRunFit.RunInput> inputs = new ArrayList<>();
                MultiRunFit.Fitted f;
                int units;
                ProgressListener pl = (what, done, total) -> progress.progress("task " + task + ": " + what, done, total);
                if (fused) {
                    // --store none: each run's fit from the sufficient statistics the scanner accumulated
                    List<TokenStatistics> stats = new ArrayList<>();
                    for (RunFile r : runs) {
                        TokenStatistics st = TokenStatistics.read(r.tokenStats(), r.tokenDesign());
                        DesignMatrix d = DesignMatrix.fromEvents(Events.read(r.events()), st.timePoints(), opts.designSpec(), r.tokenStats());
                        if (!st.sameDesign(d.values(), d.rows(), d.cols())) {
                            throw new LlmriException(r.tokenStats() + ": accumulated for the default design (a boxcar per trial type and the constant; no"
                                    + " HRF, drift or nuisance), and the scan stored no activations: fit with the default design options or rescan with --store f32");
                        }
                        stats.add(st);
                        inputs.add(new MultiRunFit.RunInput(null, d));
                    }
                    f = MultiRunFit.fitStatistics(stats, inputs, opts, pl);
                    units = stats.get(0).units();
                } else {
                    for (RunFile r : runs) {
                        RowMajorMatrix m = RowMajorMatrix.ofNpy(r.data());
                        mats.add(m);
                        DesignMatrix d = DesignMatrix.fromEvents(Events.read(r.events()), m.rows(), opts.designSpec(), r.data());
                        inputs.add(new MultiRunFit.RunInput(m, d));
                    }
                    f = MultiRunFit.fit(inputs, opts, pl);
                    units = mats.get(0).cols();
                }
                UnitLayout layout = UnitLayout.forUnits(units, unitsTsv);
                List<GlmOutputs.LevelOutput> levels = new ArrayList<>();
                for (int i = 0; i < runs.size(); i++) {
                    RunFile r = runs.get(i);
                    String prefix = r.prefix();
                    MapWriter w = new MapWriter(dir, prefix, layout, opts.nifti());
                    Path design = w.design(inputs.get(i).design());
                    FitResult fit = f.fits().get(i);
                    levels.add(GlmAnalysis.writeLevel(w, prefix, r.run(), design, fit.contrasts(), f.contrasts(),
                            f.maxRun() == null ? null : GlmAnalysis.col(f.maxRun(), i), fit.constant(), opts));
                }
                GlmOutputs.LevelOutput fixed = null;
                if (runs.size() > 1) {
                    List<ContrastMaps> combined = new ArrayList<>();
                    List<Contrast> tContrasts = new ArrayList<>();
                    List<MaxT> fixedMax = new ArrayList<>();
                    for (int c = 0; c < f.contrasts().size(); c++) {
                        if (f.contrasts().get(c).isF()) continue;
                        List<ContrastMaps> perRun = new ArrayList<>();
                        for (FitResult fit : f.fits()) perRun.add(fit.contrasts().get(c));
                        combined.add(FixedEffects.combine(perRun));
                        tContrasts.add(f.contrasts().get(c));
                        fixedMax.add(f.maxFixed() == null ? null : f.maxFixed()[c]);
                    }
                    String prefix = BidsNames.taskPrefix(sub, task);
                    MapWriter w = new MapWriter(dir, prefix, layout, opts.nifti());
                    fixed = GlmAnalysis.writeLevel(w, prefix, 0, null, combined, tContrasts,
                            f.maxFixed() == null ? null : fixedMax.toArray(MaxT[]::new), null, opts);
                }
                tasks.add(new GlmOutputs.TaskOutput(sub, task, levels, fixed));
                for (GlmOutputs.LevelOutput l : levels) addSummary(summary, sub, task, l, units, opts);
                if (fixed != null) addSummary(summary, sub, task, fixed, units, opts);
            } finally {
                for (RowMajorMatrix m : mats) m.close();
            }
        }
        Path sumFile = outDir.resolve("glm_summary.tsv");
        Tsv.write(sumFile, List.of("subject", "task", "run", "contrast", "correction", "alpha", "tail", "threshold",
                "significant", "units", "dof", "noise", "permutations"), summary);
        return new GlmOutputs.DatasetOutput(outDir, tasks, sumFile);
    }

    /**
     * A scan that stored no activations: the token-level GLM fits every run from the statistics the scanner
     * accumulated. The max-T permutations shuffle the events' labels, which changes the design, and the
     * statistics hold X'y for the observed design only, so FWE is refused; OLS and AR(1) maps, FDR,
     * Bonferroni and none work.
     */
    private static void requireTokenStatistics(List<RunFile> runs, GlmOptions opts) {
        for (RunFile r : runs) {
            if (!java.nio.file.Files.isRegularFile(r.tokenStats()) || !java.nio.file.Files.isRegularFile(r.tokenDesign())) {
                throw new LlmriException(r.data().getParent() + ": the scan stored no activations (--store none) and no token-level statistics ("
                        + r.prefix() + BidsNames.TOKEN_STATS + "), so the token-level GLM cannot run; rescan with --store f32 or f16");
            }
        }
        if (opts.corrections().contains(Correction.FWE)) {
            throw new LlmriException(runs.get(0).data().getParent() + ": the scan stored no activations (--store none); the token-level FWE"
                    + " permutes the events' labels, which changes the design, so it needs the activations: use --correction fdr,bonferroni,none"
                    + " (or the prompt-level test, whose FWE works from the scan's statistics)");
        }
    }

    private static void addSummary(List<List<Object>> rows, String sub, String task, GlmOutputs.LevelOutput l, int units, GlmOptions opts) {
        for (GlmOutputs.ContrastOutput c : l.contrasts()) {
            for (GlmOutputs.CorrectionOutput k : c.corrections()) {
                rows.add(List.of(sub, task, l.isFixedEffects() ? "fixed" : Integer.toString(l.run()), c.label(), k.correction().label(),
                        k.alpha(), k.tail().label(), k.threshold(), k.significant(), units, c.dof(), opts.noise().label(),
                        k.correction() == Correction.FWE ? opts.permutations() : 0));
            }
        }
    }

    /**
     * In-memory fixed effects of a chosen subset of one task's runs (e.g. leave one run out for decoding):
     * refits those runs and returns, per t contrast, the fixed-effects maps (or the run's own maps for one
     * run) and each requested correction's significance, FWE by max-T over just those runs. Writes nothing.
     */
    public record SubsetResult(List<ContrastMaps> maps, List<List<Significance>> significance) {}

    public static SubsetResult fitSubset(Path datasetDir, String subject, String task, List<Integer> runNumbers,
                                         GlmOptions opts, ProgressListener progress) {
        List<RunFile> chosen = new ArrayList<>();
        for (RunFile r : Runs.complete(datasetDir)) {
            if (r.subject().equals(subject) && r.task().equals(task) && runNumbers.contains(r.run())) chosen.add(r);
        }
        Runs.requireActivations(chosen, "the token-level GLM");
        if (chosen.size() != runNumbers.size()) {
            throw new LlmriException(datasetDir + ": sub-" + subject + " task-" + task + " lacks some of runs " + runNumbers);
        }
        List<RowMajorMatrix> mats = new ArrayList<>();
        try {
            List<MultiRunFit.RunInput> inputs = new ArrayList<>();
            for (RunFile r : chosen) {
                RowMajorMatrix m = RowMajorMatrix.ofNpy(r.data());
                mats.add(m);
                inputs.add(new MultiRunFit.RunInput(m, DesignMatrix.fromEvents(Events.read(r.events()), m.rows(), opts.designSpec(), r.data())));
            }
            MultiRunFit.Fitted f = MultiRunFit.fit(inputs, opts, progress);
            List<ContrastMaps> maps = new ArrayList<>();
            List<List<Significance>> sig = new ArrayList<>();
            for (int c = 0; c < f.contrasts().size(); c++) {
                if (f.contrasts().get(c).isF()) continue;
                List<ContrastMaps> perRun = new ArrayList<>();
                for (FitResult fit : f.fits()) perRun.add(fit.contrasts().get(c));
                boolean single = perRun.size() == 1;
                ContrastMaps m = single ? perRun.get(0) : FixedEffects.combine(perRun);
                MaxT mt = f.maxRun() == null ? null : single ? f.maxRun()[c][0] : f.maxFixed()[c];
                List<Significance> s = new ArrayList<>();
                for (Correction k : opts.corrections()) {
                    if (k == Correction.FWE && mt == null) continue;
                    s.add(Significance.of(m, k, opts.alpha(), opts.tail(), k == Correction.FWE ? mt : null, single ? f.fits().get(0).constant() : null));
                }
                maps.add(m);
                sig.add(s);
            }
            return new SubsetResult(maps, sig);
        } finally {
            for (RowMajorMatrix m : mats) m.close();
        }
    }
}
