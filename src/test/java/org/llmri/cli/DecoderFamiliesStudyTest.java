package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llmri.model.RandomPresets;
import org.llmri.model.gpt2.Gpt2Config;
import org.llmri.model.llama.LlamaConfig;
import org.llmri.model.neox.NeoxConfig;
import org.llmri.model.run.ActivationFunction;
import org.llmri.model.run.RandomWeights;
import org.llmri.model.weights.DType;

/**
 * The paper's paradigm (galactica-fmri: 6 tasks x 2 runs x 640 generated tokens) end to end, scan -> GLM
 * -> networks -> report, on a small random model of each decoder family.
 */
@Tag("slow")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DecoderFamiliesStudyTest {
    static RandomPresets.Preset small(String family) {
        return switch (family) {
            case "gpt2" -> RandomPresets.of(new Gpt2Config(64, 2, 4, 256, 512, 1024, ActivationFunction.GELU_TANH, 1e-5, true,
                    false, true, 0, 2), DType.F32);
            case "neox" -> RandomPresets.of(new NeoxConfig(64, 2, 4, 256, 1024, 512, 0.25, 10000, 1e-5, true,
                    ActivationFunction.GELU, true, false, 0, 2), DType.F32);
            case "llama" -> RandomPresets.of(new LlamaConfig(64, 176, 2, 4, 2, 16, ActivationFunction.SILU, 512, 1e-5, 10000,
                    false, false, false, 1024, 1, 2), DType.F32);
            default -> throw new IllegalArgumentException(family);
        };
    }

    @ParameterizedTest
    @CsvSource({"gpt2, GPT2LMHeadModel, h.1.mlp.act", "neox, GPTNeoXForCausalLM, layers.1.mlp.act",
            "llama, LlamaForCausalLM, layers.1.mlp.act_fn"})
    void thePapersParadigmRunsEndToEnd(String family, String architecture, String someTap, @TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        RandomPresets.write(model, small(family), 5, DType.F32, RandomWeights.Format.SAFETENSORS, b -> {});
        Path out = dir.resolve("study");
        Cli r = Cli.run("study", "--paradigm", "galactica-fmri", "--model", model.toString(), "--out", out.toString(),
                "--permutations", "20");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("report/report.html")).isRegularFile();
        try (var files = Files.walk(out.resolve("scan"))) {
            Path sidecar = files.filter(p -> p.getFileName().toString().endsWith("_activations.json")).findFirst().orElseThrow();
            assertThat(Files.readString(sidecar)).contains(architecture);
        }
        assertThat(Files.readString(out.resolve("scan/units.tsv"))).contains(someTap);
        assertThat(r.out()).contains("network");
    }
}
