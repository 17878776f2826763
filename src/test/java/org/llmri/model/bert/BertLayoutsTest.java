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
import org.llmri.tensor.Threads;

class BertLayoutsTest {
    @TempDir Path dir;

    private static final int[][] SEQUENCES = {{1, 7, 9, 30, 2}, {1, 44, 2}, {1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2}};

    private static float[][] hidden(Path model, BertBatch batch) {
        try (LoadedBert m = LoadedBert.open(model, new Threads(2))) {
            return m.model().hiddenStates(batch);
        }
    }

    @Test
    void everyLayoutGivesIdenticalHiddenStates() throws IOException {
        Map<String, TinyBert.Param> p = TinyBert.params(3);
        BertBatch batch = BertBatch.of(SEQUENCES);
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
        float[][] batched = hidden(model, BertBatch.of(SEQUENCES));
        int start = 0;
        for (int[] s : SEQUENCES) {
            float[][] alone = hidden(model, BertBatch.of(s));
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
        BertBatch batch = BertBatch.of(SEQUENCES);
        List<BertTap> seen = new ArrayList<>();
        try (LoadedBert m = LoadedBert.open(model, new Threads(1))) {
            m.model().forward(batch, (tap, values, width, b) -> {
                assertThat(width).isEqualTo(tap.width());
                assertThat(values).hasSizeGreaterThanOrEqualTo(batch.rows() * width);
                seen.add(tap);
            });
            assertThat(seen).isEqualTo(m.model().taps());
        }
        assertThat(seen).hasSize(1 + 10 * TinyBert.LAYERS);
        assertThat(seen.getFirst()).isEqualTo(new BertTap("embeddings", "embeddings", "residual", -1, 16));
        assertThat(seen.subList(1, 11)).extracting(BertTap::name).containsExactly(
                "encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.key",
                "encoder.layer.0.attention.self.value", "encoder.layer.0.attention.self",
                "encoder.layer.0.attention.output.dense", "encoder.layer.0.attention.output.LayerNorm",
                "encoder.layer.0.intermediate.dense", "encoder.layer.0.intermediate.intermediate_act_fn",
                "encoder.layer.0.output.dense", "encoder.layer.0");
        assertThat(seen.subList(1, 11)).extracting(BertTap::group).containsExactly(
                "attention", "attention", "attention", "attention", "attention", "attention", "mlp", "mlp", "mlp", "residual");
        assertThat(seen.subList(1, 11)).extracting(BertTap::width).containsExactly(16, 16, 16, 16, 16, 16, 32, 32, 16, 16);
    }

    @Test
    void aHookThatChangesValuesChangesWhatFollows() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("st"), TinyBert.params(2), "");
        try (LoadedBert m = LoadedBert.open(model, new Threads(1))) {
            BertBatch batch = BertBatch.of(SEQUENCES[0]);
            float[] plain = m.model().forward(batch, null);
            float[] lesioned = m.model().forward(batch, (tap, values, width, b) -> {
                if (tap.name().equals("encoder.layer.1.intermediate.intermediate_act_fn")) java.util.Arrays.fill(values, 0f);
            });
            assertThat(lesioned).isNotEqualTo(plain);
        }
    }

    @Test
    void anOnnxFileMissingAnInitializerIsRefusedNamingIt() throws IOException {
        Path model = TinyBert.writeOnnx(dir.resolve("m"), TinyBert.params(1),
                new TinyBert.OnnxOptions(false, "encoder.layer.1.output.LayerNorm.weight", null));
        assertThatThrownBy(() -> LoadedBert.open(model, new Threads(1)))
                .isInstanceOf(LlmriException.class)
                .hasMessage(model.resolve("onnx/model.onnx") + ": initializer 'encoder.layer.1.output.LayerNorm.weight' is missing");
    }

    @Test
    void anOnnxGraphWhoseMatMulFeedsNoNamedBiasIsRefused() throws IOException {
        Path model = TinyBert.writeOnnx(dir.resolve("m"), TinyBert.params(1),
                new TinyBert.OnnxOptions(false, null, "encoder.layer.0.intermediate.dense"));
        assertThatThrownBy(() -> LoadedBert.open(model, new Threads(1)))
                .isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(model.resolve("onnx/model.onnx") + ": unexpected graph: MatMul")
                .hasMessageContaining("not followed by exactly one Add of a named bias");
    }

    @Test
    void aConfigTheRuntimeCannotComputeIsRefused() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("m"), TinyBert.params(1), "");
        Files.writeString(model.resolve("config.json"), TinyBert.CONFIG.replace("\"gelu\"", "\"gelu_new\""));
        assertThatThrownBy(() -> LoadedBert.open(model, new Threads(1)))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("config.json: hidden_act 'gelu_new' is not supported");
    }

    @Test
    void aWrongShapeIsRefusedNamingFileAndKey() throws IOException {
        Path model = TinyBert.writeSafetensors(dir.resolve("m"), TinyBert.params(1), "bert.");
        Files.writeString(model.resolve("config.json"), TinyBert.CONFIG.replace("\"intermediate_size\": 32", "\"intermediate_size\": 31"));
        assertThatThrownBy(() -> LoadedBert.open(model, new Threads(1)))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [32, 16], expected [31, 16]");
    }
}
