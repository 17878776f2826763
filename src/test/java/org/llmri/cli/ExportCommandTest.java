package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Nifti1;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

class ExportCommandTest {
    @TempDir Path dir;

    /** A hand-made dataset: 3 units at (0,0,0), (1,0,0), (0,1,2); one run of 4 time points. */
    private Path dataset() {
        Path ds = dir.resolve("ds");
        Tsv.write(ds.resolve("units.tsv"), List.of("unit", "tap", "kind", "layer", "index", "x", "y", "z"),
                List.of(List.of(0, "embed", "embed", "n/a", 0, 0, 0, 0), List.of(1, "embed", "embed", "n/a", 1, 1, 0, 0),
                        List.of(2, "layers.1.fc2", "fc2", 1, 0, 0, 1, 2)));
        Path func = ds.resolve("sub-m/func");
        float[] y = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        Npy.write(func.resolve("sub-m_task-a_run-1_activations.npy"), y, 4, 3);
        Tsv.write(func.resolve("sub-m_task-a_run-1_events.tsv"), List.of("onset", "duration", "trial_type"),
                List.of(List.of(0, 2, "control"), List.of(2, 2, "task")));
        return ds;
    }

    @Test
    void exportsGzippedIntoDirNiftiByDefaultAndPlainWithNoGzip() {
        Path ds = dataset();
        Cli r = Cli.run("export", "nifti", ds.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote 1 run", "3 units in a 2 x 2 x 3 grid");
        Path bold = ds.resolve("nifti/sub-m/func/sub-m_task-a_run-1_bold.nii.gz");
        Nifti1.Header h = Nifti1.readHeader(bold);
        assertThat(h.dims()).containsExactly(2, 2, 3, 4);
        assertThat(ds.resolve("nifti/sub-m_mask.nii.gz")).exists();

        r = Cli.run("export", "nifti", ds.toString(), "--no-gzip", "--out", dir.resolve("plain").toString());
        assertThat(r.code()).as(r.err()).isZero();
        Path plain = dir.resolve("plain/sub-m/func/sub-m_task-a_run-1_bold.nii");
        assertThat(Nifti1.readHeader(plain).dims()).containsExactly(2, 2, 3, 4);
        try (Nifti1.TimeSeries ts = Nifti1.openTimeSeries(plain, null, dir)) {
            double[] v = new double[4 * 12];
            ts.matrix().readColumns(0, 12, v, 12);
            // time point 1: units 4, 5, 6 at voxels 0, 1 and (0,1,2) = 0 + 2 * (1 + 2 * 2) = 10
            assertThat(java.util.Arrays.copyOfRange(v, 12, 24)).containsExactly(4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0);
        }
        assertThat(dir.resolve("plain/sub-m_mask.nii")).exists();
    }

    @Test
    void aUnitTableWithoutCoordinatesIsOneLineWithExitCode2() {
        Path ds = dataset();
        org.llmri.io.AtomicFile.writeString(ds.resolve("units.tsv"), "unit\ttap\n0\tembed\n1\tembed\n2\tembed\n");
        Cli r = Cli.run("export", "nifti", ds.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("llmri: " + ds.resolve("units.tsv") + ": no 'x' column (a voxel layout needs x, y, z)");
    }
}
