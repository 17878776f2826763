package org.llmri.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.llmri.glm.Correction;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.glm.NoiseModel;
import org.llmri.glm.ProgressListener;
import org.llmri.paradigm.Study;
import org.llmri.scan.ScanListener;
import org.llmri.study.CheckpointStudy;
import org.llmri.study.StudyAnalysis;
import org.llmri.study.StudyPipeline;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code llmri study}: scan, GLM, networks and report in one command, reusing finished stages. */
@Command(name = "study", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Run a whole study: scan -> GLM -> networks (overlap, repeatability, decoding) -> report. Finished stages are reused on a rerun: OUT/scan (resumed), OUT/glm, then OUT/report/report.html.")
public final class StudyCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin StudyArgs source;

    @Option(names = "--out", required = true, description = "Study folder: scan/, glm/ and report/ go here.")
    Path out;

    @Option(names = "--store", paramLabel = "f32|f16|none",
            description = "How activations are stored (overrides the study's storage_dtype): f32, f16 (half the disk) or none (only the fused per-prompt statistics, which the default analysis reads). Default: the study's (f32).")
    String store;

    @Option(names = "--noise", defaultValue = "ar1", description = "GLM noise model: ar1 or ols.")
    String noise;

    @Option(names = "--correction", defaultValue = "fwe", description = "Network threshold: fwe (max-T), fdr, bonferroni or none.")
    String correction;

    @Option(names = "--alpha", defaultValue = "0.05", description = "FWER, FDR q or uncorrected p of the threshold.")
    double alpha;

    @Option(names = "--permutations", defaultValue = "1000", description = "Permutations of every permutation test.")
    int permutations;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the permutation tests.")
    long seed;

    @Option(names = "--inference", defaultValue = "prompt", paramLabel = "prompt|token",
            description = "prompt: prompt means, task vs control blocked by run, prompt labels permuted (valid); token: the time-point GLM (descriptive: tokens of a prompt are not independent).")
    String inference;

    @Option(names = "--fwer-family", defaultValue = "map", paramLabel = "map|tasks",
            description = "FWE max-T over each task's map, or over every task's map at once.")
    String fwerFamily;

    @Option(names = "--revisions", split = ",", paramLabel = "REV",
            description = "Checkpoint study: scan each of these revisions of the model's repo with the same plan (overrides the study's revisions).")
    List<String> revisions;

    @Override
    public Integer call() {
        Study study = source.study();
        if (revisions != null) study = study.withRevisions(revisions);
        if (store != null) study = study.withStorageDtype(StudyArgs.store(store));
        InferenceLevel level = InferenceLevel.parse(inference);
        if (level == InferenceLevel.TOKEN && options().corrections().stream().anyMatch(c -> c != Correction.FWE)) {
            System.err.println("llmri: " + InferenceLevel.tokenWarning(options().corrections()));
        }
        PromptLevelDataset.Family family = PromptLevelDataset.Family.parse(fwerFamily);
        if (revisions != null || !study.revisions().isEmpty()) {
            runCheckpoints(study, out, options(), level, family, permutations, seed, spec.commandLine().getOut());
        } else {
            run(study, out, options(), level, family, permutations, seed, spec.commandLine().getOut());
        }
        return 0;
    }

    GlmOptions options() {
        GlmOptions d = GlmOptions.defaults();
        return d.withNoise(NoiseModel.parse(noise)).withCorrections(List.of(Correction.parse(correction)), alpha)
                .withPermutations(permutations, seed);
    }

    /** A checkpoint study: each revision's study, then the table and page that follow the networks across them. */
    static CheckpointStudy.Result runCheckpoints(Study study, Path out, GlmOptions glmOptions, InferenceLevel level,
                                                 PromptLevelDataset.Family family, int permutations, long seed, PrintWriter w) {
        CheckpointStudy.Result r;
        try (ScanCommand.ScanBar scanBar = new ScanCommand.ScanBar(); GlmCommand.Bars glmBars = new GlmCommand.Bars()) {
            r = CheckpointStudy.run(study, out, glmOptions, level, family, new StudyAnalysis.Settings(permutations, seed), new StudyPipeline.Listener() {
                @Override
                public ScanListener scan() {
                    return scanBar;
                }

                @Override
                public ProgressListener glm() {
                    return glmBars;
                }

                @Override
                public void stage(String message) {
                    scanBar.close();
                    glmBars.close();
                    System.err.println(message);
                }
            }, null);
        }
        for (CheckpointStudy.Row row : r.rows()) {
            w.printf("checkpoint %-12s %-16s %6d units  dice with final %s%n", row.revision(), row.task(), row.size(),
                    row.diceFinal() == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f", row.diceFinal()));
        }
        for (Path s : r.studies()) w.println("study: " + s.resolve("report").resolve("report.html"));
        w.println("checkpoints: " + r.table());
        w.println("checkpoints report: " + r.page());
        w.flush();
        return r;
    }

    /** Runs the pipeline with progress bars, then prints what it found; shared with {@code llmri demo}. */
    static StudyAnalysis.Result run(Study study, Path out, GlmOptions glmOptions, int permutations, long seed, PrintWriter w) {
        return run(study, out, glmOptions, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, permutations, seed, w);
    }

    static StudyAnalysis.Result run(Study study, Path out, GlmOptions glmOptions, InferenceLevel level, PromptLevelDataset.Family family,
                                    int permutations, long seed, PrintWriter w) {
        StudyAnalysis.Result r;
        try (ScanCommand.ScanBar scanBar = new ScanCommand.ScanBar(); GlmCommand.Bars glmBars = new GlmCommand.Bars()) {
            r = StudyPipeline.run(study, out, glmOptions, level, family, new StudyAnalysis.Settings(permutations, seed), new StudyPipeline.Listener() {
                @Override
                public ScanListener scan() {
                    return scanBar;
                }

                @Override
                public ProgressListener glm() {
                    return glmBars;
                }

                @Override
                public void stage(String message) {
                    scanBar.close();
                    glmBars.close();
                    System.err.println(message);
                }
            });
        }
        for (var n : r.networks()) w.printf("network %-16s %6d positive %6d negative units%n", n.task(), n.positiveCount(), n.negativeCount());
        if (r.decoding() != null) {
            for (var s : r.decoding().scores()) {
                w.printf("decoding %-11s %-5s accuracy %.2f (chance %.2f, p %.3g)%n", s.method().name().toLowerCase(),
                        s.level().name().toLowerCase(), s.accuracy(), s.chance(), s.p());
            }
        }
        w.println("report: " + r.report());
        w.flush();
        return r;
    }
}
