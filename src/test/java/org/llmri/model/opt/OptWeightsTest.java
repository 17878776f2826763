package org.llmri.model.opt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.weights.TensorSpec;
import org.llmri.model.weights.TorchCheckpointWriter;

/** Model folders in every layout transformers writes, and configs that do not match their weights. */
@Timeout(60)
class OptWeightsTest {
    @TempDir Path tmp;
    Path tiny;
    final OptConfig config = OptConfig.preset("tiny");

    @BeforeEach
    void writeTinyModel() {
        tiny = tmp.resolve("tiny");
        RandomModel.write(tiny, config, 11, DType.F32, RandomModel.Format.SAFETENSORS);
    }

    /** All tensors of the tiny model as heap copies under the given stored names. */
    private Map<String, Tensor> tinyTensors(java.util.function.UnaryOperator<String> rename) {
        Map<String, Tensor> out = new TreeMap<>();
        try (ModelWeights w = ModelWeights.open(tiny)) {
            for (String n : w.names()) {
                Tensor t = w.get(n);
                String stored = rename.apply(w.storedKey(n));
                out.put(stored, Tensor.ofFloats(stored, t.shape(), t.toFloatArray()));
            }
        }
        return out;
    }

    private Path folderWith(String name, Map<String, Tensor> tensors) {
        Path d = tmp.resolve(name);
        Safetensors.write(d.resolve("model.safetensors"), tensors.values());
        config.write(d.resolve("config.json"));
        return d;
    }

    private static void assertSameValues(Path a, Path b) {
        try (ModelWeights wa = ModelWeights.open(a); ModelWeights wb = ModelWeights.open(b)) {
            assertThat(wa.names()).isEqualTo(wb.names());
            for (String n : wa.names()) {
                assertThat(wa.get(n).toFloatArray()).as(n).isEqualTo(wb.get(n).toFloatArray());
                assertThat(wa.get(n).shape()).isEqualTo(wb.get(n).shape());
            }
        }
    }

    @Test
    void keysWithoutModelPrefixAreTheSameTensors() {
        Path d = folderWith("noprefix", tinyTensors(ModelWeights::canonicalName));
        assertSameValues(tiny, d);
        try (ModelWeights w = ModelWeights.open(d)) {
            assertThat(w.storedKey("decoder.layers.0.fc1.weight")).isEqualTo("decoder.layers.0.fc1.weight");
            assertThat(OptWeights.bind(config, w).layers()).hasSize(3);
        }
    }

    @Test
    void keyPresentWithAndWithoutPrefixIsAmbiguous() {
        Map<String, Tensor> t = tinyTensors(s -> s);
        t.put("decoder.layers.0.fc1.bias", Tensor.ofFloats("decoder.layers.0.fc1.bias", new long[] {256}, new float[256]));
        Path d = folderWith("dup", t);
        assertThatThrownBy(() -> ModelWeights.open(d)).isInstanceOf(LlmriException.class)
                .hasMessageContaining("duplicates").hasMessageContaining("fc1.bias");
    }

    @Test
    void separateLmHeadIsUsedAndChecked() {
        Map<String, Tensor> t = tinyTensors(s -> s);
        float[] head = new float[300 * 64];
        head[5] = 3f;
        t.put("lm_head.weight", Tensor.ofFloats("lm_head.weight", new long[] {300, 64}, head));
        Path d = folderWith("head", t);
        try (ModelWeights w = ModelWeights.open(d)) {
            OptWeights ow = OptWeights.bind(config, w);
            assertThat(ow.tiedLmHead()).isFalse();
            assertThat(ow.lmHead().getFloat(5)).isEqualTo(3f);
        }
        t.put("lm_head.weight", Tensor.ofFloats("lm_head.weight", new long[] {299, 64}, new float[299 * 64]));
        Path bad = folderWith("badhead", t);
        try (ModelWeights w = ModelWeights.open(bad)) {
            assertThatThrownBy(() -> OptWeights.bind(config, w))
                    .hasMessage(bad.resolve("model.safetensors") + ": tensor 'lm_head.weight' has shape [299, 64], expected [300, 64] from config.json");
        }
    }

    @Test
    void shapeMismatchNamesFileKeyAndBothShapes() {
        OptConfig wrong = new OptConfig(64, 128, 3, 4, 300, 128, true, 64, true, true, Activation.GELU, false, 0, 1, 2);
        try (ModelWeights w = ModelWeights.open(tiny)) {
            assertThatThrownBy(() -> OptWeights.bind(wrong, w)).isInstanceOf(LlmriException.class)
                    .hasMessage(tiny.resolve("model.safetensors") + ": tensor 'model.decoder.layers.0.fc1.weight' has shape"
                            + " [256, 64], expected [128, 64] from config.json");
        }
    }

    @Test
    void positionTableMustHaveTwoExtraRows() {
        OptConfig longer = new OptConfig(64, 256, 3, 4, 300, 130, true, 64, true, true, Activation.GELU, false, 0, 1, 2);
        try (ModelWeights w = ModelWeights.open(tiny)) {
            assertThatThrownBy(() -> OptWeights.bind(longer, w)).hasMessageContaining("embed_positions.weight' has shape [130, 64], expected [132, 64]");
        }
    }

    @Test
    void weightsForMoreLayersThanTheConfigAreRefused() {
        OptConfig fewer = new OptConfig(64, 256, 2, 4, 300, 128, true, 64, true, true, Activation.GELU, false, 0, 1, 2);
        try (ModelWeights w = ModelWeights.open(tiny)) {
            assertThatThrownBy(() -> OptWeights.bind(fewer, w)).hasMessageContaining("model.decoder.layers.2.")
                    .hasMessageContaining("beyond num_hidden_layers=2");
        }
    }

    @Test
    void missingTensorIsNamed() {
        Map<String, Tensor> t = tinyTensors(s -> s);
        t.remove("model.decoder.layers.1.fc2.bias");
        Path d = folderWith("missing", t);
        try (ModelWeights w = ModelWeights.open(d)) {
            assertThatThrownBy(() -> OptWeights.bind(config, w)).isInstanceOf(LlmriException.class)
                    .hasMessage(d.resolve("model.safetensors") + ": no tensor 'decoder.layers.1.fc2.bias' (nor 'model.decoder.layers.1.fc2.bias')");
        }
    }

    @Test
    void biasesPresentWhenConfigSaysNoneIsAMismatch() {
        OptConfig noBias = new OptConfig(64, 256, 3, 4, 300, 128, true, 64, false, true, Activation.GELU, false, 0, 1, 2);
        try (ModelWeights w = ModelWeights.open(tiny)) {
            assertThatThrownBy(() -> OptWeights.bind(noBias, w)).hasMessageContaining("q_proj.bias' is present but config.json says");
        }
    }

    @Test
    void variantsWithoutBiasesAffineNormsOrWithProjectionsRoundTrip() {
        OptConfig odd = new OptConfig(32, 48, 2, 4, 40, 16, false, 16, false, false, Activation.RELU, false, 0, 1, 2);
        Path d = tmp.resolve("odd");
        RandomModel.write(d, odd, 5, DType.BF16, RandomModel.Format.BIN);
        OptConfig read = OptConfig.read(d.resolve("config.json"));
        assertThat(read).isEqualTo(odd);
        try (ModelWeights w = ModelWeights.open(d)) {
            OptWeights ow = OptWeights.bind(read, w);
            assertThat(ow.projectIn().shape()).containsExactly(32, 16);
            assertThat(ow.projectOut().shape()).containsExactly(16, 32);
            assertThat(ow.embedTokens().shape()).containsExactly(40, 16);
            assertThat(ow.layers().getFirst().qBias()).isNull();
            assertThat(ow.layers().getFirst().attnLnWeight()).isNull();
            assertThat(ow.finalLayerNormWeight()).isNull();
            assertThat(w.names()).hasSize(2 + 2 + 2 * 6);
        }
    }

    @Test
    void shardedSafetensorsLoadLikeOneFile() throws IOException {
        Map<String, Tensor> t = tinyTensors(s -> s);
        Path d = tmp.resolve("sharded");
        List<Tensor> a = new ArrayList<>(), b = new ArrayList<>();
        StringBuilder map = new StringBuilder();
        for (var e : t.entrySet()) {
            boolean first = e.getKey().contains("layers.0.") || e.getKey().contains("embed");
            (first ? a : b).add(e.getValue());
            String shard = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            map.append(map.isEmpty() ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
        }
        Safetensors.write(d.resolve("model-00001-of-00002.safetensors"), a);
        Safetensors.write(d.resolve("model-00002-of-00002.safetensors"), b);
        Files.writeString(d.resolve("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":1},\"weight_map\":{" + map + "}}");
        config.write(d.resolve("config.json"));
        assertSameValues(tiny, d);
        try (ModelWeights w = ModelWeights.open(d)) {
            assertThat(w.files()).hasSize(2);
            assertThat(w.fileOf("decoder.layers.2.fc1.weight").getFileName().toString()).isEqualTo("model-00002-of-00002.safetensors");
            OptWeights.bind(config, w);
        }
    }

    @Test
    void shardedPytorchBinsLoadLikeOneFile() throws IOException {
        Map<String, Tensor> t = tinyTensors(s -> s);
        Path d = tmp.resolve("shardedbin");
        List<TensorSpec> a = new ArrayList<>(), b = new ArrayList<>();
        StringBuilder map = new StringBuilder();
        for (var e : t.entrySet()) {
            boolean first = e.getKey().hashCode() % 2 == 0;
            (first ? a : b).add(TensorSpec.of(e.getValue()));
            String shard = first ? "pytorch_model-00001-of-00002.bin" : "pytorch_model-00002-of-00002.bin";
            map.append(map.isEmpty() ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
        }
        TorchCheckpointWriter.write(d.resolve("pytorch_model-00001-of-00002.bin"), a);
        TorchCheckpointWriter.write(d.resolve("pytorch_model-00002-of-00002.bin"), b);
        Files.writeString(d.resolve("pytorch_model.bin.index.json"), "{\"weight_map\":{" + map + "}}");
        assertSameValues(tiny, d);
    }

    @Test
    void brokenIndexesAreNamed() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("badindex"));
        Path index = d.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\":{\"a\":\"model-1.safetensors\"}}");
        assertThatThrownBy(() -> ModelWeights.open(d)).hasMessage(index + ": shard model-1.safetensors (for 'a') is missing");
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../tiny/model.safetensors\"}}");
        assertThatThrownBy(() -> ModelWeights.open(d)).hasMessageContaining("names an invalid shard");
        Files.copy(tiny.resolve("model.safetensors"), d.resolve("model-1.safetensors"));
        Files.writeString(index, "{\"weight_map\":{\"not.there\":\"model-1.safetensors\"}}");
        assertThatThrownBy(() -> ModelWeights.open(d)).hasMessage(index + ": weight_map puts 'not.there' in model-1.safetensors, which does not hold it");
        Files.writeString(index, "{\"weight_map\":{}");
        assertThatThrownBy(() -> ModelWeights.open(d)).hasMessageStartingWith(index + ": not valid JSON");
    }

    @Test
    void foldersWithoutWeights() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> ModelWeights.open(empty)).isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(empty + ": no model weights");
        assertThatThrownBy(() -> ModelWeights.open(tmp.resolve("nowhere"))).hasMessageContaining("model folder not found");
    }

    @Test
    void closingTwiceIsHarmless() {
        ModelWeights w = ModelWeights.open(tiny);
        w.close();
        w.close();
    }
}
