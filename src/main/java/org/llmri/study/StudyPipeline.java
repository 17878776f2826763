package org.llmri.study;

import java.nio.file.Path;
import org.llmri.dataset.Dataset;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.glm.ProgressListener;
import org.llmri.io.FolderLock;
import org.llmri.paradigm.Study;
import org.llmri.scan.ScanListener;

/**
 * The whole study: scan (resumed) -> GLM (reused when its record matches) -> networks -> report, into one
 * study folder that this process holds for the whole run. {@code llmri study} and {@code llmri demo} call it;
 * the CLI only parses options and shows progress.
 *
 * <p>Files under OUT, in the order they appear: {@code .llmri.lock} (at start), {@code scan/} (a run's files when
 * the run is complete; {@code scan/dataset_description.json} when the scan is), {@code glm/} (maps per task;
 * {@code glm/glm_outputs.json} last), then {@code report/} (tables, figures, {@code report.html} last).
 */
public final class StudyPipeline {
    private StudyPipeline() {}

    /** Where the pipeline reports progress: the CLI turns these into bars and lines. */
    public interface Listener {
        ScanListener scan();

        ProgressListener glm();

        default void stage(String message) {}
    }

    public static StudyAnalysis.Result run(Study study, Path out, GlmOptions glmOptions, StudyAnalysis.Settings settings, Listener listener) {
        return run(study, out, glmOptions, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, settings, listener);
    }

    /** The pipeline with the GLM stage's inference level and FWER family chosen. */
    public static StudyAnalysis.Result run(Study study, Path out, GlmOptions glmOptions, InferenceLevel level, PromptLevelDataset.Family family,
                                           StudyAnalysis.Settings settings, Listener listener) {
        return run(study, out, glmOptions, level, family, settings, listener, null);
    }

    /** The pipeline with the model resolved by {@code resolver} (null: the process environment's Hugging Face settings). */
    public static StudyAnalysis.Result run(Study study, Path out, GlmOptions glmOptions, InferenceLevel level, PromptLevelDataset.Family family,
                                           StudyAnalysis.Settings settings, Listener listener, org.llmri.model.hub.ModelResolver resolver) {
        if (level == InferenceLevel.TOKEN && !study.storageDtype().stores()) {
            throw new org.llmri.LlmriException("--inference token fits every time point, and --store none stores no activations;"
                    + " use --store f32 or f16, or the prompt-level test");
        }
        ResourceGuard.check(glmOptions, study.runsPerTask(), glmOptions.contrasts().size(), Runtime.getRuntime().maxMemory(), listener::stage);
        try (FolderLock lock = FolderLock.acquire(out, "study")) {
            Path scanDir = out.resolve("scan");
            org.llmri.scan.Scanner.AfterScan after = ResourceGuard.afterScan(level, family, glmOptions, study.runsPerTask() >= 2);
            Dataset ds = ScanStage.scan(study, scanDir, true, listener.scan(), resolver, after);
            listener.stage("scan complete: " + scanDir);
            GlmOutputs.DatasetOutput glm = GlmStage.run(scanDir, out.resolve("glm"), glmOptions, level, family, listener.glm(), false,
                    listener::stage);
            listener.stage("GLM maps in " + out.resolve("glm"));
            listener.stage("networks: overlap, repeatability and decoding (" + settings.permutations() + " permutations) ...");
            return StudyAnalysis.run(study, ds, glm, glmOptions, out.resolve("report"), settings);
        }
    }
}
