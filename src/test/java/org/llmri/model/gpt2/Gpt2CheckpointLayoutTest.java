package org.llmri.model.gpt2;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.DecoderFixtures;
import org.llmri.model.LoadedModel;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.weights.TensorSpec;

/** The original GPT-2 key layout in safetensors: no transformer. prefix, BOOL causal-mask buffers beside the weights. */
class Gpt2CheckpointLayoutTest {
    @Test
    void unprefixedKeysAndMaskBuffersInSafetensorsRunAsTheFixtureDoes(@TempDir Path dir) throws Exception {
        Path fixture = DecoderFixtures.dir("gpt2-tiny-f32");
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        try (Arena arena = Arena.ofConfined()) {
            List<TensorSpec> specs = new ArrayList<>();
            for (Tensor t : Safetensors.map(fixture.resolve("model.safetensors"), arena).values()) {
                String key = t.name().substring("transformer.".length());
                specs.add(new TensorSpec(key, t.dtype(), t.shape(), out -> out.write(t.data().asByteBuffer())));
            }
            Safetensors.write(dir.resolve("model.safetensors"), specs, Map.of("format", "pt"));
        }
        // add a BOOL [1, 1, 128, 128] buffer per layer, as a newer save of the original checkpoint holds
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8).strip();
        long dataLen = bytes.length - 8 - headerLen;
        StringBuilder extra = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            extra.append(",\"h.").append(i).append(".attn.bias\":{\"dtype\":\"BOOL\",\"shape\":[1,1,128,128],\"data_offsets\":[")
                    .append(dataLen + i * 16384L).append(',').append(dataLen + (i + 1) * 16384L).append("]}");
        }
        String newHeader = header.substring(0, header.length() - 1) + extra + "}";
        byte[] h = newHeader.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + (int) dataLen + 3 * 16384).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(bytes, 8 + (int) headerLen, (int) dataLen);
        Files.write(file, out.array());
        try (LoadedModel a = LoadedModel.open(fixture); LoadedModel b = LoadedModel.open(dir)) {
            Map<String, float[]> want = HiddenStates.run(a.model(), DecoderFixtures.IDS);
            Map<String, float[]> got = HiddenStates.run(b.model(), DecoderFixtures.IDS);
            for (String k : want.keySet()) assertThat(got.get(k)).as(k).containsExactly(want.get(k));
        }
    }
}
