package org.llmri.model.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.model.LoadedModel;
import org.llmri.model.Step;
import org.llmri.model.Tap;

class BertLayoutsTest {
    @TempDir Path dir;

    private static final List<int[]> SEQUENCES = List.of(new int[] {1, 7, 9, 30, 2}, new int[] {1, 44, 2},
            new int[] {1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2});

    private static float[][] hidden(Path model, List<int[]> batch) {
        try (LoadedModel m = LoadedModel.open(model)) {
            return BertRuns.hidden(m.model(), batch);
        }
    }

    @Test
    void everyLayoutGivesIdenticalHiddenStates() throws IOException {
        Map<String, TinyBert.Param> p = TinyBert.params(3);
        List<int[]> batch = SEQUENCES;
        float[][] reference = hidden(TinyBert.writeSafetensors(dir.resolve("st"), p, ""), batch);
        assertThat(reference).hasNumberOfRows(TinyBert.LAYERS + 1);
        for (Path other : List.of(
                TinyBert.writeSafetensors(dir.resolve("st-prefixed"), p, "bert."),
                TinyBert.writeBin(dir.resolve("bin"), p, ""),
                TinyBert.writeOnnx(dir.resolve("onnx"), p, TinyBert.OnnxOptions.PLAIN),
                TinyBert.writeOnnx(dir.resolve("onnx-external"), p, new TinyBert.OnnxOptions(true, null, null)))) {
            float[][] got = hidden(other, batch);
            for (int i = 0; i < reference.length; i++) assertThat(got[i]).as(other + " hidden." + i).isEqualTo(reference[i]);
        }
    }

    @Test
    void aRaggedBatchEqualsEachSequenceAlone() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("st"), TinyBert.params(5), "");
        float[][] batched = hidden(model, SEQUENCES);
        int start = 0;
        for (int[] s : SEQUENCES) {
            float[][] alone = hidden(model, List.of(s));
            for (int i = 0; i < alone.length; i++) {
                float[] rows = java.util.Arrays.copyOfRange(batched[i], start * TinyBert.HIDDEN, (start + s.length) * TinyBert.HIDDEN);
                assertThat(rows).isEqualTo(alone[i]);
            }
            start += s.length;
        }
    }

    @Test
    void callsEveryTapInForwardOrderWithItsWidth() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("st"), TinyBert.params(1), "");
        Step step = BertRuns.step(SEQUENCES);
        List<Tap> seen = new ArrayList<>();
        try (LoadedModel m = LoadedModel.open(model)) {
            assertThat(m.model().architecture()).isEqualTo("BertModel");
            assertThat(m.model().canGenerate()).isFalse();
            m.model().forward(step, m.model().newCache(3), (tap, values, width, st) -> {
                assertThat(width).isEqualTo(tap.width());
                assertThat(values).hasSizeGreaterThanOrEqualTo(step.rows() * width);
                seen.add(tap);
            }, false);
            assertThat(seen).isEqualTo(m.model().taps());
        }
        assertThat(seen).hasSize(1 + 10 * TinyBert.LAYERS);
        assertThat(seen.getFirst()).isEqualTo(new Tap("embeddings", "embeddings", Tap.Group.RESIDUAL, -1, 16));
        assertThat(seen.subList(1, 11)).extracting(Tap::name).containsExactly(
                "encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.key",
                "encoder.layer.0.attention.self.value", "encoder.layer.0.attention.self",
                "encoder.layer.0.attention.output.dense", "encoder.layer.0.attention.output.LayerNorm",
                "encoder.layer.0.intermediate.dense", "encoder.layer.0.intermediate.intermediate_act_fn",
                "encoder.layer.0.output.dense", "encoder.layer.0");
        assertThat(seen.subList(1, 11)).extracting(Tap::group).containsExactly(
                Tap.Group.ATTENTION, Tap.Group.ATTENTION, Tap.Group.ATTENTION, Tap.Group.ATTENTION, Tap.Group.ATTENTION,
                Tap.Group.ATTENTION, Tap.Group.MLP, Tap.Group.MLP, Tap.Group.MLP, Tap.Group.RESIDUAL);
        assertThat(seen.subList(1, 11)).extracting(Tap::width).containsExactly(16, 16, 16, 16, 16, 16, 32, 32, 16, 16);
    }

    @Test
    void aHookThatChangesValuesChangesWhatFollows() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("st"), TinyBert.params(2), "");
        try (LoadedModel m = LoadedModel.open(model)) {
            Step step = BertRuns.step(List.of(SEQUENCES.getFirst()));
            float[] plain = m.model().forward(step, m.model().newCache(1), null, false).finalHidden();
            float[] lesioned = m.model().forward(step, m.model().newCache(1), (tap, values, width, st) -> {
                if (tap.name().equals("encoder.layer.1.intermediate.intermediate_act_fn")) java.util.Arrays.fill(values, 0f);
            }, false).finalHidden();
            assertThat(lesioned).isNotEqualTo(plain);
        }
    }

    @Test
    void anOnnxFileMissingAnInitializerIsRefusedNamingIt() throws IOException {
        Path model = TinyBert.writeOnnx(dir.resolve("m"), TinyBert.params(1),
                new TinyBert.OnnxOptions(false, "encoder.layer.1.output.LayerNorm.weight", null));
        assertThatThrownBy(() -> LoadedModel.open(model))
                .isInstanceOf(LlmriException.class)
                .hasMessage(model.resolve("onnx/model.onnx") + ": tensor 'encoder.layer.1.output.LayerNorm.weight' is missing");
    }

    @Test
    void anOnnxGraphWhoseMatMulFeedsNoNamedBiasIsRefused() throws IOException {
        Path model = TinyBert.writeOnnx(dir.resolve("m"), TinyBert.params(1),
                new TinyBert.OnnxOptions(false, null, "encoder.layer.0.intermediate.dense"));
        assertThatThrownBy(() -> LoadedModel.open(model))
                .isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(model.resolve("onnx/model.onnx") + ": unexpected graph: MatMul")
                .hasMessageContaining("not followed by exactly one Add of a named bias");
    }

    @Test
    void aConfigTheRuntimeCannotComputeIsRefused() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("m"), TinyBert.params(1), "");
        Files.writeString(model.resolve("config.json"), TinyBert.CONFIG.replace("\"gelu\"", "\"gelu_new\""));
        assertThatThrownBy(() -> LoadedModel.open(model))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("config.json: hidden_act 'gelu_new' is not supported");
    }

    @Test
    void aWrongShapeIsRefusedNamingFileAndKey() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("m"), TinyBert.params(1), "bert.");
        Files.writeString(model.resolve("config.json"), TinyBert.CONFIG.replace("\"intermediate_size\": 32", "\"intermediate_size\": 31"));
        assertThatThrownBy(() -> LoadedModel.open(model))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [32, 16], expected [31, 16]");
    }

    @Test
    void aStepThatDoesNotHoldWholeSequencesIsRefused() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("st"), TinyBert.params(1), "");
        try (LoadedModel m = LoadedModel.open(model)) {
            // a decoder's next step: one row at position 5 of a sequence whose past an encoder does not keep
            Step next = new Step(new int[] {0}, new int[] {7}, new int[] {5}, new int[] {0}, new int[] {0}, new int[] {5});
            assertThatThrownBy(() -> m.model().forward(next, m.model().newCache(1), null, false))
                    .isInstanceOf(LlmriException.class).hasMessageContaining("an encoder reads each sequence whole in one step");
        }
    }

    @Test
    void theRegistryOpensBertByModelTypeAndItReadsButNeverGenerates() throws IOException {
        Path model = TinyBert.writeOnnx(dir.resolve("onnx"), TinyBert.params(1), TinyBert.OnnxOptions.PLAIN);
        try (LoadedModel m = LoadedModel.open(model)) {
            assertThat(m.modelType()).isEqualTo("bert");
            assertThat(m.weights().files()).containsExactly(model.resolve("onnx/model.onnx"));
            assertThat(m.model().taps()).hasSize(1 + 10 * TinyBert.LAYERS);
            assertThat(m.model().eosTokenId()).isEqualTo(-1);
        }
    }

    @Test
    void anOnnxExportsExternalDataFilesAreAmongItsWeightFiles() throws IOException {
        Path model = TinyBert.writeOnnx(dir.resolve("ext"), TinyBert.params(1), new TinyBert.OnnxOptions(true, null, null));
        try (LoadedModel m = LoadedModel.open(model)) {
            assertThat(m.weights().files()).hasSizeGreaterThan(1).first().isEqualTo(model.resolve("onnx/model.onnx"));
            assertThat(m.weights().files().subList(1, m.weights().files().size())).allSatisfy(f -> assertThat(f).isRegularFile());
        }
    }
}
