package org.llmri.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class NpyTest {
    @TempDir Path dir;

    @Test
    void headerIsNumpyVersion1PaddedTo64() {
        byte[] h = Npy.headerBytes(Npy.Dtype.F32, 640, 148992);
        assertThat(h.length % 64).isZero();
        String text = new String(h, 10, h.length - 10, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (640, 148992), }").endsWith("\n");
        assertThat(new String(Npy.headerBytes(Npy.Dtype.F64, 5), java.nio.charset.StandardCharsets.ISO_8859_1)).contains("'shape': (5,)");
    }

    @Test
    void writeThenMapRoundTrips() {
        Path f = dir.resolve("a.npy");
        float[] v = {1f, -2.5f, 3.25f, Float.MIN_VALUE, 1e30f, 0f};
        Npy.write(f, v, 2, 3);
        try (Npy.Mapped m = Npy.map(f)) {
            assertThat(m.shape()).containsExactly(2, 3);
            for (int i = 0; i < v.length; i++) assertThat(m.getFloat(i)).isEqualTo(v[i]);
        }
        double[] d = {Math.PI, -1e-300};
        Npy.write(dir.resolve("d.npy"), d, 2);
        assertThat(Npy.readDoubles(dir.resolve("d.npy"))).containsExactly(d);
        assertThat(Files.exists(dir.resolve("a.npy.partial"))).isFalse();
    }

    @Test
    void streamingWriterResumesAfterATornRowAndOnlyThenCommits() throws Exception {
        Path f = dir.resolve("s.npy");
        float[] row = new float[5];
        try (NpyWriter w = NpyWriter.create(f, Npy.Dtype.F32, 4, 5)) {
            for (int r = 0; r < 2; r++) {
                java.util.Arrays.fill(row, r);
                w.writeRow(row, 0);
            }
        }
        assertThat(Files.exists(f)).isFalse();
        Path partial = AtomicFile.partialOf(f);
        Files.write(partial, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND); // a torn third row
        try (NpyWriter w = NpyWriter.resume(f, Npy.Dtype.F32, 4, 5)) {
            assertThat(w.rowsWritten()).isEqualTo(2);
            for (int r = 2; r < 4; r++) {
                java.util.Arrays.fill(row, r);
                w.writeRow(row, 0);
            }
            w.finish();
        }
        float[] all = Npy.readFloats(f);
        assertThat(all).hasSize(20);
        for (int i = 0; i < 20; i++) assertThat(all[i]).isEqualTo(i / 5);
        assertThat(Files.exists(partial)).isFalse();
    }

    @Test
    void f16RowsAreRoundedOnce() {
        Path f = dir.resolve("h.npy");
        try (NpyWriter w = NpyWriter.create(f, Npy.Dtype.F16, 1, 3)) {
            w.writeRow(new float[] {1f, 0.1f, 65504f}, 0);
            w.finish();
        }
        try (Npy.Mapped m = Npy.map(f)) {
            assertThat(m.header().dtype()).isEqualTo(Npy.Dtype.F16);
            assertThat(m.getFloat(1)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(0.1f)));
            assertThat(m.getFloat(2)).isEqualTo(65504f);
        }
    }

    @Test
    void truncatedAndForeignFilesGiveOneLineErrorsNamingTheFile() throws Exception {
        Path f = dir.resolve("t.npy");
        Npy.write(f, new float[100], 10, 10);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 7));
        assertThatThrownBy(() -> Npy.map(f)).isInstanceOf(LlmriException.class).hasMessageContaining("t.npy").hasMessageContaining("truncated");
        Path g = dir.resolve("g.npy");
        Files.writeString(g, "hello world, not numpy");
        assertThatThrownBy(() -> Npy.map(g)).isInstanceOf(LlmriException.class).hasMessageContaining("g.npy: not a .npy file");
        assertThatThrownBy(() -> Npy.map(dir.resolve("none.npy"))).hasMessageContaining("none.npy: no such file");
    }
}
