package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.opt.TinyModel;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;

/** {@code scan --store none} from the command line: no activations; the prompt-level GLM runs; what needs activations refuses. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StoreNoneCommandTest {
    @Test
    void aScanWithoutActivationsIsAnalysedAtPromptLevelAndRefusedWhereEveryTimePointIsNeeded(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny");
        TinyModel.write(model, 7);
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withModel(model.toString());
        Path yaml = dir.resolve("study.yaml");
        Files.writeString(yaml, s.withGeneration(s.generation().withMaxNewTokens(4)).toYaml());
        Path scan = dir.resolve("scan");

        Cli bad = Cli.run("scan", yaml.toString(), "--store", "bf16", "--out", scan.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("llmri: --store: expected f32, f16 or none, got 'bf16'");

        Cli ok = Cli.run("scan", yaml.toString(), "--store", "none", "--out", scan.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        Path func = scan.resolve("sub-tiny").resolve("func");
        try (var files = Files.list(func)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("_activations.npy"))).isEmpty();
        }
        assertThat(func.resolve("sub-tiny_task-pathology_run-1_promptstats.npy")).exists();
        assertThat(Files.readString(scan.resolve("study.yaml"))).contains("storage_dtype: none");

        Cli glm = Cli.run("glm", "--dataset", scan.toString(), "--permutations", "20", "--no-nifti");
        assertThat(glm.code()).as(glm.err()).isZero();
        assertThat(scan.resolve("glm").resolve("sub-tiny").resolve("sub-tiny_task-pathology_contrast-taskMinusControl_stat-z_statmap.npy")).exists();

        // the token-level GLM fits from the scan's token statistics; its FWE (label permutations) needs the activations
        Cli token = Cli.run("glm", "--dataset", scan.toString(), "--inference", "token", "--correction", "fdr,bonferroni,none",
                "--no-nifti", "--out", dir.resolve("token-fused").toString());
        assertThat(token.code()).as(token.err()).isZero();
        assertThat(dir.resolve("token-fused").resolve("sub-tiny").resolve("sub-tiny_task-pathology_contrast-taskMinusControl_stat-z_statmap.npy")).exists();
        for (Cli refused : new Cli[] {
                Cli.run("glm", "--dataset", scan.toString(), "--inference", "token", "--correction", "fwe", "--out", dir.resolve("token").toString()),
                Cli.run("export", "nifti", scan.toString(), "--out", dir.resolve("nifti").toString())}) {
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("the scan stored no activations (--store none)");
            assertThat(refused.err().strip().lines().count()).isEqualTo(1);
        }
        Cli resume = Cli.run("scan", "--resume", scan.toString(), "--store", "f32");
        assertThat(resume.code()).isEqualTo(2);
        assertThat(resume.err()).contains("was scanned with --store none");
    }
}
