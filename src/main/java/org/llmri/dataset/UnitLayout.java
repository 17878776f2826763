package org.llmri.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.io.Nifti1;
import org.llmri.io.Tsv;

/**
 * Where each unit goes in a NIfTI image, and how it is described in tables. For a NIfTI input the units are
 * its voxels (inside the mask) and maps keep its grid and orientation. For a .npy input with a
 * {@code units.tsv} holding columns x, y, z (llmri scans: x = unit within tap, y = tap kind, z = layer) unit i
 * is voxel (x, y, z) and the mask marks real units; without one, units lie along x, wrapping into y every
 * 32,767 (NIfTI-1's largest dimension): unit i is voxel (i mod W, i div W, 0).
 *
 * @param voxel each unit's voxel index (x fastest)
 * @param units the units.tsv table (null when absent); its rows are in unit order
 */
public record UnitLayout(Nifti1.Geometry geometry, int[] voxel, Tsv.Table units) {
    static final int MAX_DIM = Short.MAX_VALUE;

    public int count() {
        return voxel.length;
    }

    /** A layout for {@code n} units of a .npy file, from {@code unitsTsv} when it exists (may be null). */
    public static UnitLayout forUnits(int n, Path unitsTsv) {
        Tsv.Table t = unitsTsv != null && Files.isRegularFile(unitsTsv) ? Tsv.read(unitsTsv) : null;
        if (t != null && t.rows().size() != n) {
            throw new LlmriException(unitsTsv + ": " + t.rows().size() + " rows, but the data have " + n + " units");
        }
        if (t != null && t.hasColumn("x") && t.hasColumn("y") && t.hasColumn("z")) return ofTable(t);
        int w = Math.max(1, Math.min(n, MAX_DIM));
        int h = Math.max(1, (n + w - 1) / w);
        int[] vox = new int[n];
        for (int i = 0; i < n; i++) vox[i] = i;
        return new UnitLayout(Nifti1.Geometry.identity(w, h, 1), vox, t);
    }

    /**
     * The layout a units.tsv table's x, y, z columns give: the grid is just large enough for the largest
     * coordinates; one unit per row, in row order.
     */
    public static UnitLayout ofTable(Tsv.Table t) {
        Path unitsTsv = t.file();
        int n = t.rows().size();
        for (String c : List.of("x", "y", "z")) {
            if (!t.hasColumn(c)) throw new LlmriException(unitsTsv + ": no '" + c + "' column (a voxel layout needs x, y, z)");
        }
        double[] x = t.numbers("x"), y = t.numbers("y"), z = t.numbers("z");
        int nx = 1, ny = 1, nz = 1;
        for (int i = 0; i < n; i++) {
            if (!(x[i] >= 0 && y[i] >= 0 && z[i] >= 0) || x[i] != Math.rint(x[i]) || y[i] != Math.rint(y[i]) || z[i] != Math.rint(z[i])) {
                throw new LlmriException(unitsTsv + ":" + (i + 2) + ": x, y, z must be non-negative integers");
            }
            nx = Math.max(nx, (int) x[i] + 1);
            ny = Math.max(ny, (int) y[i] + 1);
            nz = Math.max(nz, (int) z[i] + 1);
        }
        if (nx > MAX_DIM || ny > MAX_DIM || nz > MAX_DIM) {
            throw new LlmriException(unitsTsv + ": a grid of " + nx + " x " + ny + " x " + nz + " exceeds NIfTI-1's 32767 per axis");
        }
        int[] vox = new int[n];
        long nvox = (long) nx * ny * nz;
        if (nvox > Integer.MAX_VALUE) throw new LlmriException(unitsTsv + ": grid too large");
        boolean[] used = new boolean[(int) nvox];
        for (int i = 0; i < n; i++) {
            vox[i] = (int) x[i] + nx * ((int) y[i] + ny * (int) z[i]);
            if (used[vox[i]]) throw new LlmriException(unitsTsv + ":" + (i + 2) + ": two units share voxel (" + (int) x[i] + ", " + (int) y[i] + ", " + (int) z[i] + ")");
            used[vox[i]] = true;
        }
        return new UnitLayout(Nifti1.Geometry.identity(nx, ny, nz), vox, t);
    }

    /** Units are the voxels {@code voxels} (ascending) of an image with this geometry. */
    public static UnitLayout forVoxels(Nifti1.Geometry g, int[] voxels) {
        return new UnitLayout(g, voxels.clone(), null);
    }

    public float[] toVolume(double[] values, int from) {
        float[] vol = new float[(int) geometry.voxels()];
        for (int i = 0; i < voxel.length; i++) {
            double v = values[from + i];
            vol[voxel[i]] = Double.isNaN(v) ? Float.NaN : (float) v;
        }
        return vol;
    }

    public byte[] maskVolume(boolean[] mask) {
        byte[] vol = new byte[(int) geometry.voxels()];
        for (int i = 0; i < voxel.length; i++) if (mask == null || mask[i]) vol[voxel[i]] = 1;
        return vol;
    }

    /** The tap, layer and index of a unit from units.tsv ("n/a" where unknown). */
    public List<String> describe(int unit) {
        if (units == null) return List.of("n/a", "n/a", "n/a");
        List<String> row = units.rows().get(unit);
        return List.of(cell(row, "tap"), cell(row, "layer"), cell(row, "index"));
    }

    private String cell(List<String> row, String col) {
        int i = units.header().indexOf(col);
        return i < 0 ? "n/a" : row.get(i);
    }
}
