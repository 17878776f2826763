package org.llmri.study;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.TinyModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.StorageDtype;
import org.llmri.paradigm.Study;
import org.llmri.scan.Scanner;

/**
 * The study's guard for the stages after the scan: a study whose GLM and networks cannot fit the heap is refused
 * before its first run (not after hours of scanning), and the estimate follows what those stages hold.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AnalysisHeapTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void makeModel() {
        model = shared.resolve("tiny");
        TinyModel.write(model, 7);
    }

    /** The paper's design, 2 runs per task and 4 tokens per prompt, statistics only: 12 runs x 20 prompts x 3,392 units. */
    static Study small() {
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withRunsPerTask(2).withModel(model.toString());
        return s.withGeneration(s.generation().withMaxNewTokens(4)).withStorageDtype(StorageDtype.NONE);
    }

    /** The paper's paradigm as planned: 6 tasks x runs, 20 prompts and 2 task blocks each. */
    static List<Scanner.PlannedRun> paradigm(int runsPerTask) {
        List<Scanner.PlannedRun> runs = new ArrayList<>();
        for (String task : List.of("a", "b", "c", "d", "e", "f")) {
            for (int r = 0; r < runsPerTask; r++) runs.add(new Scanner.PlannedRun(task, 20, 2));
        }
        return runs;
    }

    @Test
    void aStudyWhoseAnalysisCannotFitIsRefusedBeforeItsFirstRun(@TempDir Path dir) {
        GlmOptions opts = GlmOptions.defaults();
        Scanner.AfterScan after = ResourceGuard.afterScan(InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, opts, true);
        long units = 3_392, analysis = after.heapBytes(paradigm(2), units);
        // room for the scan's one run at a time (its own guard passes), not for the analysis of all runs after it
        long heap = analysis - 1;
        Path out = dir.resolve("s");
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            Scanner scanner = new Scanner(m, tok, new Scanner.Subject(model.toString(), null, null, "0".repeat(64)), null)
                    .withLimits(Long.MAX_VALUE, heap).withAfterScan(after);
            assertThatThrownBy(() -> scanner.scan(small(), out, false)).isInstanceOf(LlmriException.class)
                    .hasMessageContaining("the GLM and networks after the scan need about").hasMessageContaining("3,392 units over 12 runs")
                    .hasMessageContaining("LLMRI_JAVA_OPTS=-Xmx").hasMessageNotContaining("\n");
        }
        Dataset ds = new Dataset(out, "tiny");
        assertThat(ds.promptStats("politicalscience", 1)).doesNotExist();
        assertThat(ds.description()).doesNotExist();

        // with the heap it asks for, the same scan runs to the end
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            Dataset done = new Scanner(m, tok, new Scanner.Subject(model.toString(), null, null, "0".repeat(64)), null)
                    .withLimits(Long.MAX_VALUE, analysis).withAfterScan(after).scan(small(), dir.resolve("t"), false);
            assertThat(done.description()).exists();
        }
    }

    @Test
    void aHeapThatMayGrowBesideTheWeightsBeyondTheMachineIsRefusedSayingHowToScanFirst(@TempDir Path dir) {
        long weights, gib = 1L << 30;
        try (LoadedModel m = LoadedModel.open(model)) {
            weights = m.weights().storedBytes();
        }
        assertThat(weights).isEqualTo(4L * parameters(model)); // f32: 4 bytes per parameter
        Path out = dir.resolve("s");
        // 8 GiB of memory: a 7 GiB heap beside the weights, the JVM and the system's reserve does not fit; a 6 GiB one does
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            Scanner scanner = new Scanner(m, tok, new Scanner.Subject(model.toString(), null, null, "0".repeat(64)), null)
                    .withMachine(8 * gib, 7 * gib);
            assertThatThrownBy(() -> scanner.scan(small(), out, false)).isInstanceOf(LlmriException.class)
                    .hasMessageContaining("packed weights").hasMessageContaining("may grow to 7.0 GiB")
                    .hasMessageContaining("machine's 8.0 GiB").hasMessageContaining("LLMRI_JAVA_OPTS=-Xmx")
                    .hasMessageContaining("does not load the model").hasMessageNotContaining("\n");
            assertThat(new Dataset(out, "tiny").description()).doesNotExist();
            assertThat(new Scanner(m, tok, new Scanner.Subject(model.toString(), null, null, "0".repeat(64)), null)
                    .withMachine(8 * gib, 6 * gib).scan(small(), out, true).description()).exists();
        }
    }

    private static long parameters(Path model) {
        try (LoadedModel m = LoadedModel.open(model)) {
            return m.weights().parameterCount();
        }
    }

    @Test
    void aStudyWhoseScanIsCompleteNeitherScansNorLoadsTheModel(@TempDir Path dir) throws Exception {
        Path copy = TinyModel.write(dir.resolve("model"), 7);
        Study study = small().withModel(copy.toString());
        Path target = dir.resolve("scan");
        Scanner.AfterScan after = ResourceGuard.afterScan(InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, GlmOptions.defaults(), true);
        ScanStage.scan(study, target, true, org.llmri.scan.ScanListener.NONE, null, after);
        long before = java.nio.file.Files.getLastModifiedTime(target.resolve(Dataset.DESCRIPTION_FILE)).toMillis();
        // the model is gone (a 13 GB model would take minutes to load, and its memory is what the analysis needs)
        for (Path f : java.nio.file.Files.list(copy).toList()) java.nio.file.Files.delete(f);
        Dataset again = ScanStage.scan(study, target, true, org.llmri.scan.ScanListener.NONE, null, after);
        assertThat(again.description()).exists();
        assertThat(java.nio.file.Files.getLastModifiedTime(again.description()).toMillis()).isEqualTo(before);
        // another study on the same folder is still checked against the model, which is missing: refused
        Study other = study.withSeed(study.seed() + 1);
        assertThatThrownBy(() -> ScanStage.scan(other, target, true, org.llmri.scan.ScanListener.NONE, null, after))
                .isInstanceOf(LlmriException.class);
    }

    @Test
    void theEstimateFollowsWhatTheStagesHold() {
        GlmOptions opts = GlmOptions.defaults().withThreads(2).withPermutations(1000, 0);
        long u67 = 2_236_416;
        long map = ResourceGuard.analysisHeap(paradigm(3), u67, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, opts, true);
        // galactica-6.7b, the paper's paradigm: the joint overlap null holds every task's centred prompt means
        // (18 runs x 20 prompts, 8 bytes each) and their sums of squares, beside every run's and task's z map
        long overlap = 8 * u67 * (18 * 20 + 18) + 28 * u67 * 20 + 8 * u67 * 21 * Runtime.getRuntime().availableProcessors();
        assertThat(map).isEqualTo((long) (ResourceGuard.GC_HEADROOM * (8 * u67 * (18 + 6) + overlap)) + ResourceGuard.ANALYSIS_MARGIN);
        // 8.6 GiB live: the study that had a 9.1 GB heap for it ran out of memory; 12.2 GiB asked for
        assertThat(map).isBetween(12L << 30, 13L << 30);
        // testing every task as one family holds every task's means in the GLM too: more than one task at a time
        long tasks = ResourceGuard.analysisHeap(paradigm(3), u67, InferenceLevel.PROMPT, PromptLevelDataset.Family.TASKS, opts, true);
        assertThat(tasks).isGreaterThan(map);
        // linear in the units, and the token-level GLM needs no prompt means (only the decoding's block means)
        long half = ResourceGuard.analysisHeap(paradigm(3), u67 / 2, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, opts, true);
        assertThat((double) (map - ResourceGuard.ANALYSIS_MARGIN) / (half - ResourceGuard.ANALYSIS_MARGIN)).isCloseTo(2.0,
                org.assertj.core.data.Offset.offset(1e-3));
        long token = ResourceGuard.analysisHeap(paradigm(3), u67, InferenceLevel.TOKEN, PromptLevelDataset.Family.MAP, opts, true);
        assertThat(token).isEqualTo((long) (ResourceGuard.GC_HEADROOM * (8 * u67 * (18 + 6) + 8 * u67 * 18 * (2 + 4))) + ResourceGuard.ANALYSIS_MARGIN);
    }

    @Test
    void theGlmOnItsOwnIsRefusedInOneLineWhenItsFitCannotHoldInTheHeap(@TempDir Path dir) {
        Path target = dir.resolve("scan");
        ScanStage.scan(small(), target, false, org.llmri.scan.ScanListener.NONE, null, null);
        var runs = org.llmri.dataset.Runs.complete(target);
        GlmOptions opts = GlmOptions.defaults();
        // what the study asks for covers the GLM alone, which holds less than the GLM and networks together
        long glm = (long) (ResourceGuard.GC_HEADROOM * ResourceGuard.glmLive(paradigm(2), 3_392, InferenceLevel.PROMPT,
                PromptLevelDataset.Family.MAP, opts)) + ResourceGuard.ANALYSIS_MARGIN;
        assertThat(glm).isLessThanOrEqualTo(ResourceGuard.analysisHeap(paradigm(2), 3_392, InferenceLevel.PROMPT,
                PromptLevelDataset.Family.MAP, opts, true));
        // the runs read back from the scan's events are the runs the study planned: the same estimate
        ResourceGuard.checkGlmHeap(target, runs, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, opts, glm);
        assertThatThrownBy(() -> ResourceGuard.checkGlmHeap(target, runs, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, opts, glm - 1))
                .isInstanceOf(LlmriException.class).hasMessageStartingWith(target.toString())
                .hasMessageContaining("3,392 units over 12 runs").hasMessageContaining("LLMRI_JAVA_OPTS=-Xmx").hasMessageNotContaining("\n");
        // the token-level GLM streams its statistics: not refused
        ResourceGuard.checkGlmHeap(target, runs, InferenceLevel.TOKEN, PromptLevelDataset.Family.MAP, opts, 1);
    }
}
