package org.llmri.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.DecoderFixtures;
import org.llmri.model.LoadedModel;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.weights.TensorSpec;

/** A Llama checkpoint sharded as transformers shards it (model-0000N-of-0000M.safetensors + index) runs as the single file does. */
class ShardedLlamaTest {
    @Test
    void shardedSafetensorsWithAnIndexGiveTheSameOutputs(@TempDir Path dir) throws Exception {
        Path single = DecoderFixtures.dir("llama-tiny-f32");
        Files.copy(single.resolve("config.json"), dir.resolve("config.json"));
        StringBuilder map = new StringBuilder();
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> all = Safetensors.map(single.resolve("model.safetensors"), arena);
            List<TensorSpec> first = new ArrayList<>(), second = new ArrayList<>();
            for (var e : all.entrySet()) {
                // layers 0 and 1 in the first shard, the rest in the second, as a size-capped save would split them
                boolean early = e.getKey().startsWith("model.layers.0.") || e.getKey().startsWith("model.layers.1.");
                String shard = early ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (early ? first : second).add(TensorSpec.of(e.getValue()));
                if (!map.isEmpty()) map.append(",\n");
                map.append("    \"").append(e.getKey()).append("\": \"").append(shard).append('"');
            }
            Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
            Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\n  \"metadata\": {\"total_size\": 0},\n  \"weight_map\": {\n" + map + "\n  }\n}\n");
        try (LoadedModel a = LoadedModel.open(single); LoadedModel b = LoadedModel.open(dir)) {
            assertThat(b.weights().files()).hasSize(2);
            Map<String, float[]> want = HiddenStates.run(a.model(), DecoderFixtures.IDS);
            Map<String, float[]> got = HiddenStates.run(b.model(), DecoderFixtures.IDS);
            for (String k : want.keySet()) assertThat(got.get(k)).as(k).containsExactly(want.get(k));
        }
    }
}
