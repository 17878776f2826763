package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

class PromptLevelDatasetTest {
    @TempDir Path dir;

    @Test
    void plantedUnitsPassEveryCorrectionAndMapsCarryTheirThresholds() {
        SyntheticScan.dataset(dir, "tiny", List.of("alpha", "beta"), 2, 300, 12, 1.5, 7);
        GlmOptions opts = GlmOptions.defaults().withPermutations(300, 0).withThreads(2)
                .withCorrections(List.of(Correction.FWE, Correction.FDR, Correction.BONFERRONI, Correction.NONE), 0.05);
        Path out = dir.resolve("glm");
        for (PromptLevelDataset.Family family : PromptLevelDataset.Family.values()) {
            GlmOutputs.DatasetOutput r = PromptLevelDataset.run(dir, out, opts, family, ProgressListener.NONE);
            assertThat(r.tasks()).hasSize(2);
            for (GlmOutputs.TaskOutput t : r.tasks()) {
                GlmOutputs.LevelOutput top = t.fixedEffects();
                assertThat(top.inference().level()).isEqualTo("prompt");
                assertThat(top.inference().dof()).isEqualTo(36); // 2 runs x 20 prompts - 2 x 2
                assertThat(top.inference().family()).isEqualTo(family.label());
                assertThat(t.runs().get(0).inference().dof()).isEqualTo(18);
                for (GlmOutputs.CorrectionOutput k : top.contrasts().get(0).corrections()) {
                    double[] mask = Npy.readDoubles(k.mask());
                    for (int u = 0; u < 12; u++) assertThat(mask[u]).as("%s unit %d", k.correction(), u).isEqualTo(1);
                    assertThat(k.criticalT()).isPositive();
                    assertThat(k.criticalZ()).isPositive().isLessThan(k.criticalT());
                    if (k.correction() != Correction.NONE) {
                        int others = 0;
                        for (int u = 12; u < 300; u++) if (mask[u] != 0) others++;
                        assertThat(others).as("%s false positives", k.correction()).isLessThanOrEqualTo(3);
                    }
                }
                Path means = PromptLevelDataset.promptMeans(out, "tiny", t.task(), 1);
                assertThat(PromptLevelDataset.readMeans(means).prompts()).isEqualTo(20);
            }
            Tsv.Table sum = Tsv.read(r.summary());
            assertThat(sum.header()).contains("critical_t", "critical_z", "dof", "distinct_labelings", "min_p", "fwer_family");
        }
    }

    @Test
    void otherContrastsAndTrialTypesPointToTheTokenLevelGlm() {
        SyntheticScan.dataset(dir, "tiny", List.of("alpha"), 1, 50, 0, 0, 1);
        GlmOptions opts = GlmOptions.defaults().withContrasts(List.of("task")).withThreads(1);
        assertThatThrownBy(() -> PromptLevelDataset.run(dir, dir.resolve("g"), opts, PromptLevelDataset.Family.MAP, ProgressListener.NONE))
                .isInstanceOf(LlmriException.class).hasMessageContaining("--inference token");
    }
}
