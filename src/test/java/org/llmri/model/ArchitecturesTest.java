package org.llmri.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.probe.TapSet;

class ArchitecturesTest {
    @Test
    void aFolderOpensThroughTheArchitectureOfItsModelType() {
        try (LoadedModel m = LoadedModel.open(TestFiles.fixture("opt-tiny-f32"))) {
            assertThat(m.modelType()).isEqualTo("opt");
            assertThat(m.model().architecture()).isEqualTo("OPTForCausalLM");
            assertThat(m.model().canGenerate()).isTrue();
            List<Tap> taps = m.model().taps();
            assertThat(taps.getFirst().name()).isEqualTo("embed");
            // presets select by group; every tap is in exactly one group
            int sum = 0;
            for (Tap.Group g : Tap.Group.values()) {
                TapSet s = TapSet.select(m.model(), g.preset());
                assertThat(s.taps()).allMatch(t -> t.group() == g).isNotEmpty();
                sum += s.taps().size();
            }
            assertThat(sum).isEqualTo(taps.size());
            assertThat(m.model().kindOrder()).startsWith("embed").endsWith("residual");
        }
    }

    @Test
    void anUnknownModelTypeIsRefusedInOneLineNamingTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"mamba\", \"hidden_size\": 8}");
        assertThatThrownBy(() -> LoadedModel.open(dir)).isInstanceOf(LlmriException.class)
                .hasMessageContaining("config.json").hasMessageContaining("model_type 'mamba' is not supported")
                .hasMessageContaining("opt");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": 7}");
        assertThatThrownBy(() -> LoadedModel.open(dir)).isInstanceOf(LlmriException.class).hasMessageContaining("model_type must be a string");
        assertThat(Architectures.modelTypes()).contains("opt");
    }
}
