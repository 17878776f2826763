package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

class GlmDatasetTest {
    @TempDir Path dir;

    @Test
    void plantedUnitsSurviveFweAndOthersDoNot() {
        SyntheticScan.dataset(dir, "tiny", List.of("alpha", "beta"), 2, 300, 12, 1.0, 7);
        GlmOptions opts = GlmOptions.defaults().withPermutations(200, 0).withThreads(2)
                .withCorrections(List.of(Correction.FWE, Correction.FDR, Correction.BONFERRONI), 0.05);
        Path out = dir.resolve("glm");
        GlmOutputs.DatasetOutput r = GlmDataset.run(dir, out, opts, ProgressListener.NONE);
        assertThat(r.tasks()).hasSize(2);
        for (GlmOutputs.TaskOutput t : r.tasks()) {
            assertThat(t.runs()).hasSize(2);
            assertThat(t.fixedEffects()).isNotNull();
            String prefix = "sub-tiny_task-" + t.task();
            Path sub = out.resolve("sub-tiny");
            assertThat(sub.resolve(prefix + "_contrast-taskMinusControl_stat-t_statmap.npy")).exists();
            assertThat(sub.resolve(prefix + "_contrast-taskMinusControl_stat-z_statmap.nii.gz")).exists();
            assertThat(sub.resolve(prefix + "_run-1_design.tsv")).exists();
            assertThat(sub.resolve(prefix + "_run-2_design.png")).exists();
            int[] mask = Npy.readDoubles(sub.resolve(prefix + "_contrast-taskMinusControl_stat-z_desc-fwe_mask.npy")).length == 300
                    ? toInts(sub.resolve(prefix + "_contrast-taskMinusControl_stat-z_desc-fwe_mask.npy")) : null;
            assertThat(mask).isNotNull();
            for (int u = 0; u < 300; u++) assertThat(mask[u]).as("unit %d in task %s", u, t.task()).isEqualTo(u < 12 ? 1 : 0);
            Tsv.Table table = Tsv.read(sub.resolve(prefix + "_contrast-taskMinusControl_desc-fwe_units.tsv"));
            assertThat(table.rows()).hasSize(12);
            assertThat(table.header()).containsExactly("unit", "tap", "layer", "index", "t", "z", "p", "p_fwe");
            assertThat(table.column("tap").get(0)).isEqualTo("layers.0.fc1");
            double[] z = table.numbers("z");
            for (int i = 1; i < z.length; i++) assertThat(Math.abs(z[i])).isLessThanOrEqualTo(Math.abs(z[i - 1]));
        }
        Tsv.Table summary = Tsv.read(r.summary());
        assertThat(summary.rows()).hasSize(2 * 3 * 3);
        assertThat(Files.exists(r.summary())).isTrue();
    }

    static int[] toInts(Path npy) {
        double[] d = Npy.readDoubles(npy);
        int[] o = new int[d.length];
        for (int i = 0; i < d.length; i++) o[i] = (int) d[i];
        return o;
    }
}
