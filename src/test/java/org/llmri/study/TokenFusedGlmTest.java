package org.llmri.study;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.glm.Correction;
import org.llmri.glm.GlmDataset;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.NoiseModel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.io.Npy;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.TinyModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.StorageDtype;
import org.llmri.paradigm.Study;
import org.llmri.scan.Scanner;

/**
 * The token-level GLM (--inference token) of a --store none scan, fitted from the statistics the scanner
 * accumulated, equals the two-pass GLM of the stored activations: OLS and AR(1), generation and reading mode,
 * effect, variance, t and z within 1e-6 relative, every FDR, Bonferroni and uncorrected mask identical.
 */
@Tag("slow")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class TokenFusedGlmTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll
    static void makeModel() {
        model = shared.resolve("tiny");
        TinyModel.write(model, 7);
    }

    static Dataset scan(Study study, Path out) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            return new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, "0".repeat(64)), null)
                    .withTokenDesign(ScanStage::tokenDesign).scan(study, out, false);
        }
    }

    static GlmOptions options(NoiseModel noise) {
        return GlmOptions.defaults().withNifti(false).withNoise(noise)
                .withCorrections(List.of(Correction.NONE, Correction.FDR, Correction.BONFERRONI), 0.05);
    }

    @Test
    void generationMode(@TempDir Path dir) throws IOException {
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withModel(model.toString());
        assertFusedTokenGlmEqualsTwoPass(s.withGeneration(s.generation().withMaxNewTokens(4)), dir);
    }

    @Test
    void readingMode(@TempDir Path dir) throws IOException {
        assertFusedTokenGlmEqualsTwoPass(Paradigms.builtin(Paradigms.FMRI_READ).withModel(model.toString()), dir);
    }

    private void assertFusedTokenGlmEqualsTwoPass(Study study, Path dir) throws IOException {
        Dataset stored = scan(study, dir.resolve("f32"));
        Dataset none = scan(study.withStorageDtype(StorageDtype.NONE), dir.resolve("none"));
        for (var run : study.plan().runs()) {
            assertThat(none.activations(run.taskId(), run.run())).doesNotExist();
            assertThat(Files.readAllBytes(none.tokenStats(run.taskId(), run.run())))
                    .isEqualTo(Files.readAllBytes(stored.tokenStats(run.taskId(), run.run())));
        }
        int flagged = 0;
        for (NoiseModel noise : List.of(new NoiseModel.Ols(), new NoiseModel.Ar1(100))) {
            String n = noise.label();
            GlmOutputs.DatasetOutput fused = GlmStage.run(none.root(), dir.resolve("glm-fused-" + n), options(noise), InferenceLevel.TOKEN,
                    PromptLevelDataset.Family.MAP, (w, d, t) -> {}, false, w -> {});
            GlmOutputs.DatasetOutput twoPass = GlmDataset.run(stored.root(), dir.resolve("glm-two-pass-" + n), options(noise), (w, d, t) -> {});
            FusedStatisticsTest.assertSameMaps(fused, twoPass);
            for (var task : twoPass.tasks())
                for (var level : FusedStatisticsTest.levels(task))
                    for (var c : level.contrasts().get(0).corrections()) for (double v : Npy.readDoubles(c.mask())) flagged += (int) v;
        }
        assertThat(flagged).as("masks to compare").isPositive();
        // the max-T permutations relabel events, which changes the design: refused in one line without activations
        GlmOptions fwe = options(new NoiseModel.Ar1(100)).withCorrections(List.of(Correction.FWE), 0.05);
        assertThatThrownBy(() -> GlmDataset.run(none.root(), dir.resolve("fwe"), fwe, (w, d, t) -> {}))
                .isInstanceOf(LlmriException.class).hasMessageContaining("token-level FWE").hasMessageNotContaining("\n");
        // statistics accumulated for the default design stand for no other design
        GlmOptions drift = options(new NoiseModel.Ols());
        drift = new GlmOptions(drift.noise(), new org.llmri.glm.Drift.Polynomial(1), drift.hrf(), drift.nuisance(), drift.confounds(), drift.tr(),
                drift.contrasts(), drift.corrections(), drift.alpha(), drift.tail(), drift.permutations(), drift.seed(), drift.threads(), drift.nifti());
        GlmOptions driftOpts = drift;
        assertThatThrownBy(() -> GlmDataset.run(none.root(), dir.resolve("drift"), driftOpts, (w, d, t) -> {}))
                .isInstanceOf(LlmriException.class).hasMessageContaining("default design").hasMessageNotContaining("\n");
    }
}
