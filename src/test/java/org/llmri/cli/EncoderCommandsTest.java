package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.LoadedModel;
import org.llmri.model.bert.BertRuns;
import org.llmri.model.hub.BuiltInModels;

/** {@code model info} and {@code forward} on the built-in BERT encoder (its extracted folder). */
@Tag("slow")
class EncoderCommandsTest {
    static Path dir;

    @BeforeAll
    static void extract() {
        dir = BuiltInModels.resolve(BuiltInModels.MINILM, Path.of("target", "llmri-cache")).dir();
    }

    @Test
    void infoDescribesTheEncoder() {
        Cli r = Cli.run("model", "info", "--model", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("encoder: reads, never generates (model_type bert, BertModel)", "hidden 384, intermediate 1536, 6 layers, 12 heads",
                "post-LayerNorm (eps 1.0E-12), gelu", "onnx/model.onnx", "parameters  22,565,376", "taps        61");
    }

    @Test
    void forwardWritesInputIdsAndEveryHiddenStateOfATokenizedText(@TempDir Path tmp) {
        Path out = tmp.resolve("h.safetensors");
        Cli r = Cli.run("forward", "--model", dir.toString(), "--text", "hello world", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("input_ids and hidden.0..hidden.6 for 4 tokens");
        // llmri's safetensors reader holds float types only, so the file (with its I64 input_ids) is read byte by byte
        float[][] expected;
        try (LoadedModel m = LoadedModel.open(dir)) {
            expected = BertRuns.hidden(m.model(), java.util.List.of(new int[] {101, 7592, 2088, 102}));
        }
        try {
            byte[] bytes = java.nio.file.Files.readAllBytes(out);
            var buf = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long headerLen = buf.getLong();
            String header = new String(bytes, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8);
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(header);
            assertThat(json.path("input_ids").path("dtype").asText()).isEqualTo("I64");
            long base = 8 + headerLen;
            long idsAt = base + json.path("input_ids").path("data_offsets").get(0).asLong();
            for (int i = 0; i < 4; i++) assertThat(buf.getLong((int) idsAt + 8 * i)).isEqualTo(new long[] {101, 7592, 2088, 102}[i]);
            for (int l = 0; l <= 6; l++) {
                var t = json.path("hidden." + l);
                assertThat(t.path("shape").toString()).isEqualTo("[4,384]");
                long at = base + t.path("data_offsets").get(0).asLong();
                float[] got = new float[4 * 384];
                for (int i = 0; i < got.length; i++) got[i] = buf.getFloat((int) at + 4 * i);
                assertThat(got).as("hidden." + l).isEqualTo(expected[l]);
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void forwardNeedsIdsOrText(@TempDir Path tmp) {
        Cli r = Cli.run("forward", "--model", dir.toString(), "--out", tmp.resolve("x").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("give either --ids or --text");
    }
}
