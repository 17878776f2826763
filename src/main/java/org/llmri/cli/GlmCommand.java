package org.llmri.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.llmri.LlmriException;
import org.llmri.glm.Correction;
import org.llmri.glm.DesignMatrix;
import org.llmri.glm.Drift;
import org.llmri.glm.GlmAnalysis;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.glm.Hrf;
import org.llmri.glm.NoiseModel;
import org.llmri.glm.ProgressListener;
import org.llmri.glm.Tail;
import org.llmri.io.FolderLock;
import org.llmri.io.NonFinite;
import org.llmri.study.ResourceGuard;
import org.llmri.study.GlmStage;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code llmri glm}: fits a GLM to one data file or to every run of a scan dataset. */
@Command(name = "glm", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "Fits a GLM per unit (OLS, or AR(1) prewhitening as nilearn's run_glm), tests contrasts and thresholds the maps (max-T FWE over events, BH FDR, Bonferroni). Works on any [time, unit] data.  Contrasts: a t contrast is a linear expression of design columns: 'task - control', '2*task - a - b', '(a + b)/2 - c'. An F contrast is 'F:' then rows separated by ';': 'F:a - b;b - c'. Name one with NAME=EXPR; otherwise files use the expression in camelCase (task - control -> taskMinusControl). Conditions covering every time point plus the constant make the design rank-deficient: it is fitted by pseudo-inverse and only estimable contrasts (task - control) are accepted.  Outputs in --out (--dataset: OUT/sub-<s>/), <p> = BIDS prefix, <c> = contrast: <p>_design.tsv, <p>_design.png <p>_contrast-<c>_stat-<effect|variance|t|F|z|p>_statmap.npy, .nii.gz <p>_contrast-<c>_stat-z_desc-<corr>_statmap.npy, .nii.gz  (z if significant) <p>_contrast-<c>_stat-z_desc-<corr>_mask.npy (int32), .nii.gz (uint8) <p>_contrast-<c>_stat-p_desc-fwe_statmap.npy, stat-q_desc-fdr, stat-p_desc-bonferroni  (corrected p / q per unit) <p>_contrast-<c>_desc-<corr>_units.tsv  (surviving units by |z|) glm_summary.tsv  (--dataset: thresholds and counts per task and run) <corr> is fwe, fdr, bonferroni or uncorrected. ")
public final class GlmCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    static final class Input {
        @ArgGroup(exclusive = false, multiplicity = "1")
        Single single;

        @Option(names = "--dataset", required = true, paramLabel = "DIR",
                description = "A scan dataset: fits every task and run (sub-*/func/*_activations.npy + _events.tsv), then fixed effects across runs.")
        Path dataset;
    }

    static final class Single {
        @Option(names = "--data", required = true, paramLabel = "FILE", description = "Y as .npy [time, unit] (f32/f16/f64) or NIfTI-1 .nii/.nii.gz (units = voxels).")
        Path data;

        @Option(names = "--events", paramLabel = "FILE", description = "BIDS events.tsv (onset, duration in time points, trial_type).")
        Path events;

        @Option(names = "--design", paramLabel = "FILE", description = "A design.tsv instead of events: header = column names, one row per time point.")
        Path design;

        @Option(names = "--mask", paramLabel = "FILE", description = "NIfTI data: mask image; non-zero voxels are the units.")
        Path mask;

        @Option(names = "--units", paramLabel = "FILE", description = ".npy data: units.tsv (tap, layer, index, x, y, z); default: units.tsv beside the data.")
        Path units;

        @Option(names = "--prefix", paramLabel = "NAME", description = "Output prefix; default: the data's BIDS prefix (name without _suffix).")
        String prefix;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--contrast", paramLabel = "EXPR", defaultValue = "task - control",
            description = "Contrast (repeatable); see above.")
    List<String> contrasts;

    @Option(names = "--noise", defaultValue = "ar1", paramLabel = "ols|ar1", description = "Noise model.")
    String noise;

    @Option(names = "--drift", defaultValue = "none", paramLabel = "MODEL",
            description = "none, polynomial:K or cosine:CUTOFF (high-pass period in time points). With 'none' only the constant is added.")
    String drift;

    @Option(names = "--hrf", defaultValue = "none", paramLabel = "none|spm|glover",
            description = "Convolve condition boxcars with an HRF (fMRI parity; a transformer has no haemodynamics).")
    String hrf;

    @Option(names = "--tr", defaultValue = "1", paramLabel = "SECONDS", description = "Repetition time: one time point (a token) = 1.")
    double tr;

    @Option(names = "--nuisance", split = ",", paramLabel = "NAME",
            description = "Nuisance regressors from the events: token-position (time since the covering event's onset), first-token.")
    List<String> nuisance = new ArrayList<>();

    @Option(names = "--confounds", paramLabel = "FILE", description = "TSV of extra regressors, one row per time point (all columns used).")
    Path confounds;

    @Option(names = "--correction", split = ",", paramLabel = "fwe|fdr|bonferroni|none",
            description = "Corrections to apply (comma list). Default: fwe (fdr with --design, which has no events to permute).")
    List<String> corrections;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Significance level of every correction.")
    double alpha;

    @Option(names = "--tail", defaultValue = "two-sided", paramLabel = "two-sided|positive|negative", description = "Tail of t tests.")
    String tail;

    @Option(names = "--permutations", defaultValue = "1000", description = "Max-T permutations (the first is the observed labelling).")
    int permutations;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the permutations.")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--no-nifti", description = "Write .npy maps only.")
    boolean noNifti;

    @Option(names = "--mask-nonfinite", description = "Leave out units that hold NaN or Inf (set to 0, so constant), with a warning that counts them; without it such data is refused.")
    boolean maskNonFinite;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default for --dataset: DIR/glm; required with --data).")
    Path out;

    @Option(names = "--inference", defaultValue = "prompt", paramLabel = "prompt|token",
            description = "--dataset only: prompt = prompt means, task vs control blocked by run, permutations of prompt labels (valid: "
                    + "tokens of a prompt are not independent); token = the time-point GLM above (descriptive on scan data). --data is always token.")
    String inference;

    @Option(names = "--fwer-family", defaultValue = "map", paramLabel = "map|tasks",
            description = "Prompt-level FWE: max-T over each map's units, or over every task's map at once (for 'any task network' claims).")
    String fwerFamily;

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter outW = spec.commandLine().getOut();
        boolean designMode = input.single != null && input.single.design != null;
        List<Correction> corr = new ArrayList<>();
        if (corrections == null || corrections.isEmpty()) corr.add(designMode ? Correction.FDR : Correction.FWE);
        else for (String c : corrections) if (!corr.contains(Correction.parse(c))) corr.add(Correction.parse(c));
        List<DesignMatrix.Nuisance> nz = new ArrayList<>();
        for (String n : nuisance) nz.add(DesignMatrix.Nuisance.parse(n));
        GlmOptions opts = new GlmOptions(NoiseModel.parse(noise), Drift.parse(drift), Hrf.parse(hrf), nz, confounds, tr,
                contrasts, corr, alpha, Tail.parse(tail), permutations, seed,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), !noNifti);
        java.util.function.Consumer<String> warn = m -> spec.commandLine().getErr().println("llmri: " + m);
        long heap = Runtime.getRuntime().maxMemory();
        try (Bars bars = new Bars()) {
            if (input.dataset != null) {
                Path o = out != null ? out : input.dataset.resolve("glm");
                ResourceGuard.check(opts, runsPerTask(input.dataset), contrasts.size(), heap, warn);
                long units = 0, timePoints = 0;
                var found = org.llmri.dataset.Runs.complete(input.dataset);
                for (var r : found) {
                    if (!r.hasActivations()) continue; // --store none: the prompt-level test reads the fused statistics
                    long[] shape = org.llmri.io.Npy.readHeader(r.data()).shape();
                    if (shape.length == 2) {
                        timePoints += shape[0];
                        units = shape[1];
                    }
                }
                ResourceGuard.warnIfLong(opts, units, timePoints, warn);
                InferenceLevel level = InferenceLevel.parse(inference);
                PromptLevelDataset.Family family = PromptLevelDataset.Family.parse(fwerFamily);
                ResourceGuard.checkGlmHeap(input.dataset, found, level, family, opts, heap);
                if (level == InferenceLevel.TOKEN) {
                    warnTokenLevel(corr, org.llmri.dataset.Runs.complete(input.dataset).get(0).events());
                }
                GlmOutputs.DatasetOutput r = GlmStage.run(input.dataset, o, opts, level, family, bars, maskNonFinite, warn);
                bars.close();
                for (GlmOutputs.TaskOutput t : r.tasks()) {
                    for (GlmOutputs.LevelOutput l : t.runs()) report(outW, l);
                    if (t.fixedEffects() != null) report(outW, t.fixedEffects());
                }
                if (level == InferenceLevel.TOKEN) {
                    outW.println("token-level maps: descriptive on a scan dataset (the tokens of a prompt are not independent); "
                            + "the prompt-level test is --inference prompt");
                }
                outW.println("maps in " + o + "; summary " + r.summary());
            } else {
                Single s = input.single;
                if (out == null) throw new LlmriException("--out is required with --data");
                if ((s.events == null) == (s.design == null)) throw new LlmriException("give exactly one of --events and --design");
                if (s.events != null) warnTokenLevel(corr, s.events);
                ResourceGuard.check(opts, 1, contrasts.size(), heap, warn);
                GlmOutputs.LevelOutput l;
                try (FolderLock lock = FolderLock.acquire(out, "glm")) {
                    Path data = s.data;
                    Path masked = null;
                    if (!org.llmri.io.Nifti1.isNifti(s.data)) {
                        NonFinite.Found f = NonFinite.scan(s.data);
                        if (f.any() && !maskNonFinite) {
                            throw new LlmriException(s.data + ": " + f.unitCount() + " unit(s) hold NaN or Inf (first: unit " + f.firstUnit()
                                    + " at time point " + f.firstRow() + "); rerun with --mask-nonfinite to leave them out");
                        }
                        if (f.any()) {
                            warn.accept("warning: " + f.unitCount() + " unit(s) hold NaN or Inf (" + f.values()
                                    + " values); --mask-nonfinite leaves them out of the tests");
                            masked = out.resolve(".nonfinite-masked").resolve(s.data.getFileName());
                            NonFinite.mask(s.data, masked, f.units());
                            data = masked;
                        }
                    }
                    Path units = s.units != null ? s.units : s.data.toAbsolutePath().resolveSibling("units.tsv");
                    String prefix = s.prefix != null ? s.prefix : GlmAnalysis.bidsPrefix(s.data);
                    try {
                        l = GlmAnalysis.run(data, s.events, s.design, s.mask, s.units != null ? s.units : masked != null && java.nio.file.Files.isRegularFile(units) ? units : null, prefix, out,
                                opts, bars);
                    } finally {
                        if (masked != null) {
                            java.nio.file.Files.deleteIfExists(masked);
                            java.nio.file.Files.deleteIfExists(masked.getParent());
                        }
                    }
                }
                bars.close();
                report(outW, l);
                outW.println("maps in " + out);
            }
        }
        outW.flush();
        return 0;
    }

    /** The most runs any task of the dataset holds (what one max-T engine keeps at once). */
    private static int runsPerTask(Path dataset) {
        java.util.Map<String, Integer> n = new java.util.HashMap<>();
        for (var r : org.llmri.dataset.Runs.complete(dataset)) n.merge(r.subject() + "/" + r.task(), 1, Integer::sum);
        return n.values().stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    /** A correction on token-level p of events that name prompts: one line on stderr naming the prompt-level test. */
    void warnTokenLevel(List<Correction> corr, java.nio.file.Path events) {
        List<Correction> tokenP = corr.stream().filter(c -> c != Correction.FWE).toList();
        if (!tokenP.isEmpty() && PromptLevelDataset.hasPromptIds(events)) {
            spec.commandLine().getErr().println("llmri: " + InferenceLevel.tokenWarning(tokenP));
            spec.commandLine().getErr().flush();
        }
    }

    private static void report(PrintWriter w, GlmOutputs.LevelOutput l) {
        for (GlmOutputs.ContrastOutput c : l.contrasts()) {
            for (GlmOutputs.CorrectionOutput k : c.corrections()) {
                if (l.inference() != null) {
                    w.printf("%s %s %s %s %s: %d units (prompt-level, critical |t| %.4g, |z| %.4g, df %.0f)%n", l.prefix(), c.label(),
                            k.correction().label(), k.tail().label(), k.alpha(), k.significant(), k.criticalT(), k.criticalZ(), c.dof());
                    continue;
                }
                String thr = k.correction() == Correction.FWE ? String.format(" (|stat| > %.4g)", k.threshold())
                        : Double.isNaN(k.threshold()) ? "" : String.format(" (p <= %.4g)", k.threshold());
                if (k.correction() == Correction.FWE && k.tail() != Tail.TWO_SIDED) thr = String.format(" (stat > %.4g)", k.threshold());
                w.printf("%s %s %s %s %s: %d units%s%n", l.prefix(), c.label(), k.correction().label(), k.tail().label(),
                        k.alpha(), k.significant(), thr);
            }
        }
    }

    /** Progress bars on stderr, one per stage. */
    static final class Bars implements ProgressListener, AutoCloseable {
        private ProgressBar bar;
        private String stage;

        @Override
        public synchronized void progress(String what, long done, long total) {
            if (!what.equals(stage)) {
                if (bar != null) bar.close();
                stage = what;
                bar = Progress.bar(what, total, unitOf(what), 1);
            }
            bar.stepTo(done);
        }

        /** What a stage counts: the fits count units, the permutation tests permutations, prompt means runs. */
        static String unitOf(String stage) {
            if (stage.endsWith("permutations")) return " permutations";
            if (stage.endsWith("prompt means")) return " runs";
            return " units";
        }

        @Override
        public synchronized void close() {
            if (bar != null) bar.close();
            bar = null;
            stage = null;
        }
    }
}
