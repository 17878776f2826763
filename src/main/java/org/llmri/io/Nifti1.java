package org.llmri.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.llmri.LlmriException;

/**
 * NIfTI-1 single-file images ({@code .nii}, {@code .nii.gz}): reads 3D/4D integer and float images with
 * {@code scl_slope}/{@code scl_inter}, either byte order; writes float32 maps and uint8 masks that
 * nibabel and nilearn open. Data are x-fastest, so a 4D image is a row-major [time, voxel] matrix.
 */
public final class Nifti1 {
    private Nifti1() {}

    static final int HEADER_BYTES = 348;
    static final int DATA_OFFSET = 352; // header + the 4-byte extension flag
    public static final int DT_UINT8 = 2, DT_INT16 = 4, DT_INT32 = 8, DT_FLOAT32 = 16, DT_FLOAT64 = 64,
            DT_INT8 = 256, DT_UINT16 = 512, DT_UINT32 = 768, DT_INT64 = 1024;

    /**
     * Where voxels lie in space: the grid size and the qform/sform orientation, copied from an input image
     * onto the maps computed from it so they overlay.
     */
    public record Geometry(int nx, int ny, int nz, float[] pixdim, short qformCode, float[] quatern, float qfac,
                           short sformCode, float[] srow) {
        public long voxels() {
            return (long) nx * ny * nz;
        }

        /** A grid with 1 mm voxels and the identity affine (sform "aligned"), for maps of non-brain units. */
        public static Geometry identity(int nx, int ny, int nz) {
            checkDims(nx, ny, nz);
            return new Geometry(nx, ny, nz, new float[] {1, 1, 1}, (short) 0, new float[6], 1f, (short) 2,
                    new float[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
        }

        public Geometry withSize(int nx, int ny, int nz) {
            checkDims(nx, ny, nz);
            return new Geometry(nx, ny, nz, pixdim, qformCode, quatern, qfac, sformCode, srow);
        }

        private static void checkDims(int nx, int ny, int nz) {
            if (nx < 1 || ny < 1 || nz < 1 || nx > Short.MAX_VALUE || ny > Short.MAX_VALUE || nz > Short.MAX_VALUE) {
                throw new IllegalArgumentException("NIfTI-1 dimensions must lie in 1.." + Short.MAX_VALUE
                        + ": " + nx + " x " + ny + " x " + nz);
            }
        }
    }

    /** What a NIfTI-1 header says. {@code dims} are dim[1..dim[0]]. */
    public record Header(Path file, ByteOrder order, int[] dims, int datatype, long voxOffset, double slope,
                         double inter, float repetitionTime, Geometry geometry) {
        public int nx() { return dims[0]; }
        public int ny() { return dims.length > 1 ? dims[1] : 1; }
        public int nz() { return dims.length > 2 ? dims[2] : 1; }
        /** Time points (1 for a 3D image). */
        public int nt() { return dims.length > 3 ? dims[3] : 1; }

        public long voxels() {
            return (long) nx() * ny() * nz();
        }

        public RowMajorMatrix.Element element() {
            return elementOf(file, datatype);
        }
    }

    static RowMajorMatrix.Element elementOf(Path file, int datatype) {
        return switch (datatype) {
            case DT_UINT8 -> RowMajorMatrix.Element.U8;
            case DT_INT8 -> RowMajorMatrix.Element.I8;
            case DT_INT16 -> RowMajorMatrix.Element.I16;
            case DT_UINT16 -> RowMajorMatrix.Element.U16;
            case DT_INT32 -> RowMajorMatrix.Element.I32;
            case DT_UINT32 -> RowMajorMatrix.Element.U32;
            case DT_INT64 -> RowMajorMatrix.Element.I64;
            case DT_FLOAT32 -> RowMajorMatrix.Element.F32;
            case DT_FLOAT64 -> RowMajorMatrix.Element.F64;
            default -> throw new LlmriException(file + ": NIfTI datatype " + datatype
                    + " is not supported (llmri reads integer and float32/float64 images)");
        };
    }

    public static boolean isGzip(Path file) {
        return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gz");
    }

    /** True for names ending in .nii or .nii.gz. */
    public static boolean isNifti(Path file) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".nii") || n.endsWith(".nii.gz");
    }

    private static InputStream openStream(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return isGzip(file) ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
    }

    public static Header readHeader(Path file) {
        try (InputStream in = openStream(file)) {
            byte[] h = in.readNBytes(HEADER_BYTES);
            return parseHeader(file, h);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LlmriException(file + ": no such file");
        } catch (ZipException | EOFException e) {
            throw new LlmriException(file + ": corrupt gzip stream (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + AtomicFile.describe(e) + ")", e);
        }
    }

    static Header parseHeader(Path file, byte[] h) {
        if (h.length < HEADER_BYTES) throw new LlmriException(file + ": not a NIfTI-1 image (only " + h.length + " bytes)");
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != HEADER_BYTES) {
            b.order(ByteOrder.BIG_ENDIAN);
            if (b.getInt(0) != HEADER_BYTES) {
                int le = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
                if (le == 540 || b.getInt(0) == 540) throw new LlmriException(file + ": NIfTI-2 images are not supported (save as NIfTI-1)");
                throw new LlmriException(file + ": not a NIfTI-1 image (sizeof_hdr is not 348)");
            }
        }
        String magic = new String(h, 344, 3, StandardCharsets.ISO_8859_1);
        if (magic.equals("ni1")) throw new LlmriException(file + ": two-file NIfTI (.hdr/.img) is not supported; save as a single .nii");
        if (!magic.equals("n+1")) throw new LlmriException(file + ": not a NIfTI-1 image (magic is not n+1)");
        int ndim = b.getShort(40);
        if (ndim < 1 || ndim > 7) throw new LlmriException(file + ": bad NIfTI dim[0] = " + ndim);
        int[] dims = new int[ndim];
        for (int i = 0; i < ndim; i++) {
            dims[i] = b.getShort(42 + 2 * i);
            if (dims[i] < 1) throw new LlmriException(file + ": bad NIfTI dim[" + (i + 1) + "] = " + dims[i]);
        }
        for (int i = 4; i < ndim; i++) {
            if (dims[i] != 1) throw new LlmriException(file + ": " + ndim + "-D images with dim[" + (i + 1) + "] > 1 are not supported");
        }
        int datatype = b.getShort(70);
        elementOf(file, datatype);
        float voxOffset = b.getFloat(108);
        if (!(voxOffset >= HEADER_BYTES) || voxOffset != Math.rint(voxOffset)) {
            throw new LlmriException(file + ": bad NIfTI vox_offset " + voxOffset);
        }
        double slope = b.getFloat(112), inter = b.getFloat(116);
        if (slope == 0 || !Double.isFinite(slope)) {
            slope = 1;
            inter = 0;
        }
        if (!Double.isFinite(inter)) inter = 0;
        float[] pixdim = new float[8];
        for (int i = 0; i < 8; i++) pixdim[i] = b.getFloat(76 + 4 * i);
        float[] quatern = new float[6];
        for (int i = 0; i < 6; i++) quatern[i] = b.getFloat(256 + 4 * i);
        float[] srow = new float[12];
        for (int i = 0; i < 12; i++) srow[i] = b.getFloat(280 + 4 * i);
        int nx = dims[0], ny = ndim > 1 ? dims[1] : 1, nz = ndim > 2 ? dims[2] : 1;
        Geometry g = new Geometry(nx, ny, nz, new float[] {pos(pixdim[1]), pos(pixdim[2]), pos(pixdim[3])},
                b.getShort(252), quatern, pixdim[0] < 0 ? -1f : 1f, b.getShort(254), srow);
        return new Header(file, b.order(), dims, datatype, (long) voxOffset, slope, inter, ndim > 3 ? pixdim[4] : 0f, g);
    }

    private static float pos(float v) {
        return v > 0 && Float.isFinite(v) ? v : 1f;
    }

    /** A whole 3D image (or a 4D one with one time point) as doubles, x fastest. */
    public static double[] readVolume(Path file) {
        Header h = readHeader(file);
        if (h.nt() != 1) throw new LlmriException(file + ": expected a 3D image, got " + h.nt() + " time points");
        long n = h.voxels();
        int bytes = h.element().bytes;
        if (n * bytes > Integer.MAX_VALUE - 64) throw new LlmriException(file + ": image too large to load (" + n + " voxels)");
        try (InputStream in = openStream(file)) {
            in.skipNBytes(h.voxOffset());
            byte[] raw = in.readNBytes((int) (n * bytes));
            if (raw.length < n * bytes) {
                throw new LlmriException(file + ": image data truncated (" + raw.length + " of " + n * bytes + " bytes)");
            }
            double[] out = new double[(int) n];
            decodeAll(ByteBuffer.wrap(raw).order(h.order()), h.element(), out, h.slope(), h.inter());
            return out;
        } catch (ZipException | EOFException e) {
            throw new LlmriException(file + ": truncated or corrupt image data (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + AtomicFile.describe(e) + ")", e);
        }
    }

    private static void decodeAll(ByteBuffer b, RowMajorMatrix.Element e, double[] out, double slope, double inter) {
        for (int i = 0; i < out.length; i++) {
            double v = switch (e) {
                case U8 -> b.get(i) & 0xff;
                case I8 -> b.get(i);
                case I16 -> b.getShort(2 * i);
                case U16 -> b.getShort(2 * i) & 0xffff;
                case I32 -> b.getInt(4 * i);
                case U32 -> b.getInt(4 * i) & 0xffffffffL;
                case I64 -> b.getLong(8 * i);
                case F32 -> b.getFloat(4 * i);
                case F64 -> b.getDouble(8 * i);
                case F16 -> Float.float16ToFloat(b.getShort(2 * i));
            };
            out[i] = v * slope + inter;
        }
    }

    /** A 4D image opened as a [time, voxel] matrix; a .nii.gz is first decompressed to {@code temp}. */
    public record TimeSeries(Header header, RowMajorMatrix matrix, Path temp) implements AutoCloseable {
        @Override
        public void close() {
            matrix.close();
            if (temp != null) AtomicFile.deleteQuietly(temp);
        }
    }

    /**
     * Opens a 3D/4D image as a [time, voxel] matrix whose columns are {@code columns} (ascending voxel
     * indices, e.g. a mask's) or all voxels when null. A .nii.gz is streamed to a temporary .nii in
     * {@code tempDir} (bounded memory), removed on close.
     */
    public static TimeSeries openTimeSeries(Path file, int[] columns, Path tempDir) {
        Header h = readHeader(file);
        Path data = file;
        Path temp = null;
        if (isGzip(file)) {
            try {
                Files.createDirectories(tempDir);
                temp = Files.createTempFile(tempDir, ".llmri-", ".nii");
                temp.toFile().deleteOnExit();
                try (InputStream in = openStream(file); OutputStream out = Files.newOutputStream(temp)) {
                    in.transferTo(out);
                }
            } catch (ZipException | EOFException e) {
                if (temp != null) AtomicFile.deleteQuietly(temp);
                throw new LlmriException(file + ": truncated or corrupt gzip data (" + e.getMessage() + ")");
            } catch (IOException e) {
                if (temp != null) AtomicFile.deleteQuietly(temp);
                throw new LlmriException(file + ": cannot decompress (" + AtomicFile.describe(e) + ")", e);
            }
            data = temp;
        }
        try {
            RowMajorMatrix m = RowMajorMatrix.open(data, h.voxOffset(), h.element(), h.order(), h.nt(), h.voxels(),
                    h.slope(), h.inter(), columns);
            return new TimeSeries(h, m, temp);
        } catch (LlmriException e) {
            if (temp != null) AtomicFile.deleteQuietly(temp);
            throw new LlmriException(e.getMessage().replace(data.toString(), file.toString()));
        }
    }

    /** Writes a float32 image of {@code nt} volumes (data x fastest, then y, z, t); gzip when the name ends in .gz. */
    public static void writeFloat32(Path target, Geometry g, int nt, float[] data) {
        if ((long) data.length != g.voxels() * nt) {
            throw new IllegalArgumentException(target + ": " + data.length + " values for " + g.voxels() + " voxels x " + nt);
        }
        write(target, g, nt, DT_FLOAT32, 32, out -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : data) {
                if (!b.hasRemaining()) {
                    out.write(b.array(), 0, b.position());
                    b.clear();
                }
                b.putFloat(v);
            }
            out.write(b.array(), 0, b.position());
        });
    }

    /** Writes a uint8 3D image (a mask); gzip when the name ends in .gz. */
    public static void writeUint8(Path target, Geometry g, byte[] data) {
        if (data.length != g.voxels()) throw new IllegalArgumentException(target + ": " + data.length + " values for " + g.voxels() + " voxels");
        write(target, g, 1, DT_UINT8, 8, out -> out.write(data));
    }

    /** Fills volume {@code t} of a time series (x fastest, then y, z); {@code volume} arrives all zeros. */
    @FunctionalInterface
    public interface VolumeSource {
        void fill(int t, float[] volume);
    }

    /**
     * Streams a 4D float32 time series volume by volume, holding one volume in memory: dim[0] = 4 (even for
     * one time point), dim[4] = {@code nt}, pixdim[4] = 1 with time in seconds (xyzt_units), {@code description}
     * in the header's descrip (at most 79 ASCII characters). gzip when the name ends in .gz, at
     * {@code gzipLevel} (1 fastest .. 9 smallest; {@link java.util.zip.Deflater#DEFAULT_COMPRESSION} = 6).
     */
    public static void writeFloat32Series(Path target, Geometry g, int nt, String description, int gzipLevel, VolumeSource source) {
        long bytes = g.voxels() * 4;
        if (bytes > Integer.MAX_VALUE - 64) throw new IllegalArgumentException(target + ": one volume of " + g.voxels() + " voxels is too large");
        byte[] header = headerBytes(g, nt, 4, DT_FLOAT32, 32, description);
        AtomicFile.write(target, raw -> {
            OutputStream out = isGzip(target) ? gzip(raw, gzipLevel) : raw;
            out.write(header);
            out.write(new byte[DATA_OFFSET - HEADER_BYTES]);
            float[] volume = new float[(int) g.voxels()];
            ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int t = 0; t < nt; t++) {
                Arrays.fill(volume, 0f);
                source.fill(t, volume);
                b.clear();
                b.asFloatBuffer().put(volume);
                out.write(b.array(), 0, (int) bytes);
            }
            if (out instanceof GZIPOutputStream gz) gz.finish();
        });
    }

    private static GZIPOutputStream gzip(OutputStream raw, int level) throws IOException {
        return new GZIPOutputStream(raw, 1 << 16) {
            {
                def.setLevel(level);
            }
        };
    }

    private static void write(Path target, Geometry g, int nt, int datatype, int bitpix, AtomicFile.Writer body) {
        byte[] header = headerBytes(g, nt, nt > 1 ? 4 : 3, datatype, bitpix, "llmri");
        AtomicFile.write(target, raw -> {
            OutputStream out = isGzip(target) ? new GZIPOutputStream(raw, 1 << 16) : raw;
            out.write(header);
            out.write(new byte[DATA_OFFSET - HEADER_BYTES]);
            body.writeTo(out);
            if (out instanceof GZIPOutputStream gz) gz.finish();
        });
    }

    static byte[] headerBytes(Geometry g, int nt, int datatype, int bitpix) {
        return headerBytes(g, nt, nt > 1 ? 4 : 3, datatype, bitpix, "llmri");
    }

    static byte[] headerBytes(Geometry g, int nt, int ndim, int datatype, int bitpix, String description) {
        if (nt < 1 || nt > Short.MAX_VALUE) throw new IllegalArgumentException("NIfTI-1 time dimension must lie in 1.." + Short.MAX_VALUE);
        if (nt > 1 && ndim < 4) throw new IllegalArgumentException("a time series needs dim[0] = 4");
        byte[] descrip = description.getBytes(StandardCharsets.US_ASCII);
        if (descrip.length > 79) throw new IllegalArgumentException("NIfTI-1 descrip holds at most 79 characters: " + description);
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, HEADER_BYTES);
        b.put(38, (byte) 'r'); // "regular", as nibabel writes
        b.putShort(40, (short) ndim);
        short[] dim = {(short) g.nx(), (short) g.ny(), (short) g.nz(), (short) nt, 1, 1, 1};
        for (int i = 0; i < 7; i++) b.putShort(42 + 2 * i, dim[i]);
        b.putShort(70, (short) datatype);
        b.putShort(72, (short) bitpix);
        float[] pixdim = {g.qfac(), g.pixdim()[0], g.pixdim()[1], g.pixdim()[2], 1f, 1f, 1f, 1f};
        for (int i = 0; i < 8; i++) b.putFloat(76 + 4 * i, pixdim[i]);
        b.putFloat(108, DATA_OFFSET);
        b.putFloat(112, 1f); // scl_slope
        b.putFloat(116, 0f);
        b.put(123, (byte) (2 | 8)); // mm, seconds (one time point per repetition time of 1)
        for (int i = 0; i < descrip.length; i++) b.put(148 + i, descrip[i]);
        b.putShort(252, g.qformCode());
        b.putShort(254, g.sformCode());
        for (int i = 0; i < 6; i++) b.putFloat(256 + 4 * i, g.quatern()[i]);
        for (int i = 0; i < 12; i++) b.putFloat(280 + 4 * i, g.srow()[i]);
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1').put(347, (byte) 0);
        return Arrays.copyOf(b.array(), HEADER_BYTES);
    }
}
