package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Nifti1;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

class GlmCommandTest {
    @TempDir Path dir;

    /** 160 time points: control/task blocks of 32 made of 16-token events; units 0..3 respond. */
    private Path[] data(int units) {
        List<List<Object>> ev = new ArrayList<>();
        String[] pattern = {"control", "task", "control", "task", "control"};
        int on = 0;
        for (String p : pattern) for (int i = 0; i < 2; i++) { ev.add(List.of(on, 16, p)); on += 16; }
        Path events = dir.resolve("sub-a_task-b_run-1_events.tsv");
        Tsv.write(events, List.of("onset", "duration", "trial_type"), ev);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
        float[] y = new float[160 * units];
        for (int t = 0; t < 160; t++) {
            boolean task = (t / 32) % 2 == 1;
            for (int u = 0; u < units; u++) y[t * units + u] = (float) (rng.nextDouble() - 0.5 + (task && u < 4 ? 1.0 : 0));
        }
        Path npy = dir.resolve("sub-a_task-b_run-1_activations.npy");
        Npy.write(npy, y, 160, units);
        return new Path[] {npy, events};
    }

    @Test
    void fitsNpyWithEventsAndWritesBidsNamedMaps() {
        Path[] in = data(50);
        Path out = dir.resolve("out");
        Cli r = Cli.run("glm", "--data", in[0].toString(), "--events", in[1].toString(), "--out", out.toString(),
                "--correction", "fwe,fdr", "--permutations", "100", "--threads", "2", "--contrast", "task - control",
                "--contrast", "F:task - control");
        assertThat(r.code()).as(r.err()).isEqualTo(2); // max-T refuses the F contrast
        assertThat(r.err()).contains("F contrast").doesNotContain("Exception");
        r = Cli.run("glm", "--data", in[0].toString(), "--events", in[1].toString(), "--out", out.toString(),
                "--correction", "fwe,fdr", "--permutations", "100", "--threads", "2", "--drift", "polynomial:2",
                "--nuisance", "token-position");
        assertThat(r.code()).as(r.err()).isZero();
        String p = "sub-a_task-b_run-1";
        for (String s : List.of("effect", "variance", "t", "z", "p")) {
            assertThat(out.resolve(p + "_contrast-taskMinusControl_stat-" + s + "_statmap.npy")).exists();
            assertThat(out.resolve(p + "_contrast-taskMinusControl_stat-" + s + "_statmap.nii.gz")).exists();
        }
        assertThat(out.resolve(p + "_design.tsv")).exists();
        assertThat(out.resolve(p + "_design.png")).exists();
        assertThat(Tsv.read(out.resolve(p + "_design.tsv")).header()).containsExactly("control", "task", "token_position", "drift_1", "drift_2", "constant");
        assertThat(out.resolve(p + "_contrast-taskMinusControl_stat-q_desc-fdr_statmap.npy")).exists();
        assertThat(out.resolve(p + "_contrast-taskMinusControl_stat-p_desc-fwe_statmap.npy")).exists();
        assertThat(r.out()).contains(p + " taskMinusControl fwe two-sided 0.05: 4 units");
        Tsv.Table units = Tsv.read(out.resolve(p + "_contrast-taskMinusControl_desc-fwe_units.tsv"));
        assertThat(units.column("unit")).containsExactlyInAnyOrder("0", "1", "2", "3");
    }

    @Test
    void mismatchedEventsAndDesignsAreOneLineErrorsNamingTheFile() {
        Path[] in = data(10);
        Path longEvents = dir.resolve("long_events.tsv");
        Tsv.write(longEvents, List.of("onset", "duration", "trial_type"), List.of(List.of(0, 100, "task"), List.of(100, 100, "control")));
        Cli r = Cli.run("glm", "--data", in[0].toString(), "--events", longEvents.toString(), "--out", dir.resolve("o").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("llmri: " + longEvents + ":3:").contains("160 time points").doesNotContain("\n");
        Path design = dir.resolve("design.tsv");
        Tsv.write(design, List.of("a", "constant"), List.of(List.of(1, 1), List.of(0, 1)));
        r = Cli.run("glm", "--data", in[0].toString(), "--design", design.toString(), "--contrast", "a", "--out", dir.resolve("o").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).contains(design.toString()).contains("2 rows").contains("160 time points").doesNotContain("\n");
        r = Cli.run("glm", "--data", dir.resolve("missing.npy").toString(), "--events", in[1].toString(), "--out", dir.resolve("o").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("missing.npy").contains("no such file");
    }

    @Test
    void fitsA4dNiftiInsideAMaskWithADesignTsv() throws Exception {
        int nx = 4, ny = 3, nz = 2, T = 160;
        Nifti1.Geometry g = Nifti1.Geometry.identity(nx, ny, nz);
        float[] v = new float[nx * ny * nz * T];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(2);
        List<List<Object>> rows = new ArrayList<>();
        for (int t = 0; t < T; t++) {
            double task = (t / 32) % 2;
            rows.add(List.of(task, 1));
            for (int i = 0; i < nx * ny * nz; i++) v[t * nx * ny * nz + i] = (float) (rng.nextDouble() + (i == 5 ? 2 * task : 0));
        }
        Path img = dir.resolve("sub-x_task-y_bold.nii.gz");
        Nifti1.writeFloat32(img, g, T, v);
        byte[] m = new byte[nx * ny * nz];
        for (int i = 0; i < m.length; i += 2) m[i] = 1;
        m[5] = 1;
        Path mask = dir.resolve("mask.nii");
        Nifti1.writeUint8(mask, g, m);
        Path design = dir.resolve("design.tsv");
        Tsv.write(design, List.of("task", "constant"), rows);
        Path out = dir.resolve("nout");
        Cli r = Cli.run("glm", "--data", img.toString(), "--design", design.toString(), "--mask", mask.toString(),
                "--contrast", "task", "--out", out.toString(), "--correction", "bonferroni");
        assertThat(r.code()).as(r.err()).isZero();
        Path z = out.resolve("sub-x_task-y_contrast-task_stat-z_statmap.nii.gz");
        double[] zv = Nifti1.readVolume(z);
        assertThat(zv).hasSize(nx * ny * nz);
        assertThat(zv[5]).isGreaterThan(8);
        assertThat(zv[1]).isZero(); // outside the mask
        double[] mk = Nifti1.readVolume(out.resolve("sub-x_task-y_contrast-task_stat-z_desc-bonferroni_mask.nii.gz"));
        assertThat(mk[5]).isEqualTo(1);
        assertThat(Npy.readDoubles(out.resolve("sub-x_task-y_contrast-task_stat-z_statmap.npy"))).hasSize(13);
        try (var files = Files.list(out)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith(".llmri-")).count()).isZero();
        }
    }

    @Test
    void tokenLevelCorrectionsOnPromptEventsWarnOnceNamingThePromptLevelTest(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        java.nio.file.Path data = tmp.resolve("y.npy"), events = tmp.resolve("events.tsv");
        int T = 100, U = 10;
        float[] y = new float[T * U];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        for (int i = 0; i < y.length; i++) y[i] = (float) rng.nextGaussian();
        org.llmri.io.Npy.write(data, y, T, U);
        java.util.List<java.util.List<Object>> rows = new java.util.ArrayList<>();
        for (int p = 0; p < 10; p++) rows.add(java.util.List.of(p * 10, 10, p % 2 == 0 ? "control" : "task", p, "p" + p));
        org.llmri.io.Tsv.write(events, java.util.List.of("onset", "duration", "trial_type", "block", "prompt_id"), rows);
        Cli fdr = Cli.run("glm", "--data", data.toString(), "--events", events.toString(), "--correction", "fdr", "--no-nifti",
                "--out", tmp.resolve("o").toString());
        org.assertj.core.api.Assertions.assertThat(fdr.code()).isZero();
        org.assertj.core.api.Assertions.assertThat(fdr.err().lines().filter(l -> l.contains("warning")).toList()).hasSize(1);
        org.assertj.core.api.Assertions.assertThat(fdr.err()).contains("not independent").contains("--inference prompt");
        Cli fwe = Cli.run("glm", "--data", data.toString(), "--events", events.toString(), "--permutations", "20", "--no-nifti",
                "--out", tmp.resolve("o2").toString());
        org.assertj.core.api.Assertions.assertThat(fwe.err()).doesNotContain("warning");
    }
}
