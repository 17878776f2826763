package org.llmri.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class Nifti1Test {
    @TempDir Path dir;

    @Test
    void streamedTimeSeriesAreFourDimensionalEvenWithOneTimePoint() throws Exception {
        Nifti1.Geometry g = Nifti1.Geometry.identity(3, 2, 2);
        for (int nt : new int[] {1, 5}) {
            for (String name : new String[] {"s" + nt + ".nii", "s" + nt + ".nii.gz"}) {
                Path f = dir.resolve(name);
                int[] calls = {0};
                Nifti1.writeFloat32Series(f, g, nt, "one token per second", 1, (t, vol) -> {
                    assertThat(vol).containsOnly(0f); // each volume starts zeroed
                    assertThat(t).isEqualTo(calls[0]++);
                    vol[t % 12] = t + 0.25f;
                    vol[11] = -t;
                });
                Nifti1.Header h = Nifti1.readHeader(f);
                assertThat(h.dims()).containsExactly(3, 2, 2, nt);
                assertThat(h.repetitionTime()).isEqualTo(1f);
                try (Nifti1.TimeSeries ts = Nifti1.openTimeSeries(f, null, dir)) {
                    double[] all = new double[nt * 12];
                    ts.matrix().readColumns(0, 12, all, 12);
                    for (int t = 0; t < nt; t++) {
                        for (int v = 0; v < 11; v++) assertThat(all[t * 12 + v]).isEqualTo(v == t ? t + 0.25 : 0);
                        assertThat(all[t * 12 + 11]).isEqualTo(-t);
                    }
                }
            }
        }
        byte[] raw = java.nio.file.Files.readAllBytes(dir.resolve("s1.nii"));
        assertThat(new String(raw, 148, 20, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("one token per second");
        assertThat(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getShort(40)).as("dim[0]").isEqualTo((short) 4);
    }

    @Test
    void float32VolumesRoundTripPlainAndGzipped() throws Exception {
        Nifti1.Geometry g = Nifti1.Geometry.identity(4, 3, 2);
        float[] v = new float[24 * 3];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.5f - 7;
        for (String name : new String[] {"a.nii", "a.nii.gz"}) {
            Path f = dir.resolve(name);
            Nifti1.writeFloat32(f, g, 3, v);
            Nifti1.Header h = Nifti1.readHeader(f);
            assertThat(h.dims()).containsExactly(4, 3, 2, 3);
            assertThat(h.datatype()).isEqualTo(Nifti1.DT_FLOAT32);
            assertThat(h.repetitionTime()).isEqualTo(1f);
            try (Nifti1.TimeSeries ts = Nifti1.openTimeSeries(f, null, dir)) {
                assertThat(ts.matrix().rows()).isEqualTo(3);
                assertThat(ts.matrix().cols()).isEqualTo(24);
                double[] all = new double[3 * 24];
                ts.matrix().readColumns(0, 24, all, 24);
                for (int i = 0; i < all.length; i++) assertThat(all[i]).isEqualTo(v[i]);
            }
        }
        try (var files = java.nio.file.Files.list(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".llmri-")).count()).as("temporary files removed").isZero();
        }
    }

    @Test
    void maskedColumnsAndScalingAndBigEndianInt16() throws Exception {
        // a hand-made big-endian int16 4D image with scl_slope 0.5 and scl_inter 1
        int nx = 5, ny = 1, nz = 1, nt = 2;
        byte[] hdr = Nifti1.headerBytes(Nifti1.Geometry.identity(nx, ny, nz), nt, Nifti1.DT_INT16, 16);
        ByteBuffer le = ByteBuffer.wrap(hdr).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer be = ByteBuffer.allocate(352).order(ByteOrder.BIG_ENDIAN);
        be.putInt(0, 348);
        for (int i = 0; i < 8; i++) be.putShort(40 + 2 * i, le.getShort(40 + 2 * i));
        be.putShort(70, (short) Nifti1.DT_INT16).putShort(72, (short) 16);
        be.putFloat(108, 352).putFloat(112, 0.5f).putFloat(116, 1f);
        be.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        ByteBuffer data = ByteBuffer.allocate(nx * nt * 2).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < nx * nt; i++) data.putShort((short) (i * 10 - 20));
        Path f = dir.resolve("be.nii");
        byte[] all = new byte[352 + data.capacity()];
        System.arraycopy(be.array(), 0, all, 0, 352);
        System.arraycopy(data.array(), 0, all, 352, data.capacity());
        Files.write(f, all);
        try (Nifti1.TimeSeries ts = Nifti1.openTimeSeries(f, new int[] {1, 3, 4}, dir)) {
            double[] out = new double[2 * 3];
            ts.matrix().readColumns(0, 3, out, 3);
            // stored value s = i*10 - 20 at flat index i = t*5 + x; read value s*0.5 + 1
            double[] expect = {(10 - 20) * 0.5 + 1, (30 - 20) * 0.5 + 1, (40 - 20) * 0.5 + 1,
                (60 - 20) * 0.5 + 1, (80 - 20) * 0.5 + 1, (90 - 20) * 0.5 + 1};
            assertThat(out).containsExactly(expect);
        }
    }

    @Test
    void uint8MaskRoundTrips() {
        Nifti1.Geometry g = Nifti1.Geometry.identity(3, 2, 1);
        byte[] m = {1, 0, 1, 1, 0, 0};
        Path f = dir.resolve("m.nii.gz");
        Nifti1.writeUint8(f, g, m);
        double[] back = Nifti1.readVolume(f);
        assertThat(back).containsExactly(1, 0, 1, 1, 0, 0);
    }

    @Test
    void corruptAndTruncatedFilesAreOneLineErrorsNamingTheFile() throws Exception {
        Path good = dir.resolve("g.nii");
        Nifti1.writeFloat32(good, Nifti1.Geometry.identity(10, 10, 1), 4, new float[400]);
        byte[] bytes = Files.readAllBytes(good);
        Path trunc = dir.resolve("trunc.nii");
        Files.write(trunc, Arrays.copyOf(bytes, bytes.length - 100));
        assertThatThrownBy(() -> Nifti1.openTimeSeries(trunc, null, dir)).isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(trunc.toString()).hasMessageContaining("truncated").hasMessageNotContaining("\n");
        Path junk = dir.resolve("junk.nii");
        Files.write(junk, new byte[400]);
        assertThatThrownBy(() -> Nifti1.readHeader(junk)).isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(junk.toString()).hasMessageContaining("not a NIfTI-1 image");
        Path tiny = dir.resolve("tiny.nii");
        Files.write(tiny, new byte[10]);
        assertThatThrownBy(() -> Nifti1.readHeader(tiny)).hasMessageContaining("not a NIfTI-1 image");
        Path gz = dir.resolve("cut.nii.gz");
        Nifti1.writeFloat32(gz, Nifti1.Geometry.identity(10, 10, 1), 4, new float[400]);
        byte[] gzb = Files.readAllBytes(gz);
        Files.write(gz, Arrays.copyOf(gzb, gzb.length / 2));
        assertThatThrownBy(() -> Nifti1.openTimeSeries(gz, null, dir)).isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(gz.toString()).hasMessageNotContaining("\n");
        Path notGz = dir.resolve("plain.nii.gz");
        Files.write(notGz, bytes);
        assertThatThrownBy(() -> Nifti1.readHeader(notGz)).isInstanceOf(LlmriException.class).hasMessageStartingWith(notGz.toString());
    }
}
