package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ModelCommandTest {
    @TempDir Path tmp;

    @Test
    void randomThenInfo() {
        Path dir = tmp.resolve("m");
        Cli r = Cli.run("model", "random", "--preset", "tiny", "--seed", "3", "--dtype", "bf16", "--format", "bin", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(dir.resolve("pytorch_model.bin")).exists();
        assertThat(dir.resolve("config.json")).exists();
        Cli info = Cli.run("model", "info", "--model", dir.toString(), "--checksum");
        assertThat(info.code()).as(info.err()).isZero();
        assertThat(info.out()).contains("hidden 64, ffn 256, 3 layers, 4 heads (head dim 16), vocab 300, 128 positions",
                "pytorch_model.bin", "BF16 (52 tensors)", "parameters  177,600", "lm_head tied to embed_tokens", "sha256      ");
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws Exception {
        Cli r = Cli.run("model", "random", "--dtype", "f8", "--out", tmp.resolve("x").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("llmri: dtype 'f8' is not one of f32, f16, bf16");
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("config.json"), "{\"ffn_dim\": 4}");
        Cli info = Cli.run("model", "info", "--model", broken.toString());
        assertThat(info.code()).isEqualTo(2);
        assertThat(info.err().strip()).isEqualTo("llmri: " + broken.resolve("config.json") + ": required field 'hidden_size' is missing");
        assertThat(tmp.resolve("x")).doesNotExist();
    }

    @Test
    void helpShowsDefaults() {
        Cli r = Cli.run("model", "random", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--preset", "Default: tiny", "--format", "Default: safetensors");
    }
}
