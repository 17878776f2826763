package org.llmri.glm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.dataset.UnitLayout;
import org.llmri.io.Nifti1;
import org.llmri.io.RowMajorMatrix;

/**
 * A GLM on one data file ({@code llmri glm --data}): a .npy [time, unit] array or a 3D/4D NIfTI image
 * (units = voxels, inside a mask if given), with a design built from an events file or read from a
 * design.tsv; writes the design, each contrast's maps and each correction's thresholded maps.
 */
public final class GlmAnalysis {
    private GlmAnalysis() {}

    /**
     * @param events    a BIDS events.tsv (or null when {@code design} is given)
     * @param design    a design.tsv whose header names its columns (or null)
     * @param mask      for NIfTI data: a 3D mask image (non-zero = analysed voxel); may be null
     * @param unitsTsv  for .npy data: unit descriptions and NIfTI layout; null looks for units.tsv beside the data
     * @param prefix    output file prefix; null derives it from the data's BIDS name
     */
    public static GlmOutputs.LevelOutput run(Path data, Path events, Path design, Path mask, Path unitsTsv, String prefix,
                                             Path outDir, GlmOptions opts, ProgressListener progress) {
        if ((events == null) == (design == null)) throw new LlmriException("give exactly one of --events and --design");
        String pre = prefix != null ? prefix : bidsPrefix(data);
        try {
            Files.createDirectories(outDir);
        } catch (java.io.IOException e) {
            throw new LlmriException(outDir + ": cannot create (" + e.getMessage() + ")");
        }
        Nifti1.TimeSeries nifti = null;
        RowMajorMatrix matrix;
        UnitLayout layout;
        try {
            if (Nifti1.isNifti(data)) {
                Nifti1.Header h = Nifti1.readHeader(data);
                int[] voxels = maskVoxels(mask, h);
                nifti = Nifti1.openTimeSeries(data, voxels, outDir);
                matrix = nifti.matrix();
                if (voxels == null) {
                    voxels = new int[Math.toIntExact(h.voxels())];
                    for (int i = 0; i < voxels.length; i++) voxels[i] = i;
                }
                layout = UnitLayout.forVoxels(h.geometry(), voxels);
            } else {
                if (mask != null) throw new LlmriException("--mask applies to NIfTI data; for .npy data give --units");
                matrix = RowMajorMatrix.ofNpy(data);
                Path u = unitsTsv != null ? unitsTsv : data.toAbsolutePath().resolveSibling("units.tsv");
                if (unitsTsv != null && !Files.isRegularFile(unitsTsv)) throw new LlmriException(unitsTsv + ": no such file");
                layout = UnitLayout.forUnits(matrix.cols(), u);
            }
            DesignMatrix dm = events != null
                    ? DesignMatrix.fromEvents(Events.read(events), matrix.rows(), opts.designSpec(), data)
                    : DesignMatrix.readTsv(design);
            if (dm.rows() != matrix.rows()) {
                throw new LlmriException(design + ": " + dm.rows() + " rows, but " + data.getFileName() + " has " + matrix.rows() + " time points");
            }
            MultiRunFit.Fitted f = MultiRunFit.fit(List.of(new MultiRunFit.RunInput(matrix, dm)), opts, progress);
            MapWriter w = new MapWriter(outDir, pre, layout, opts.nifti());
            Path designTsv = w.design(dm);
            FitResult fit = f.fits().get(0);
            return writeLevel(w, pre, -1, designTsv, fit.contrasts(), f.contrasts(), f.maxRun() == null ? null : col(f.maxRun(), 0),
                    fit.constant(), opts);
        } finally {
            if (nifti != null) nifti.close();
        }
    }

    static MaxT[] col(MaxT[][] m, int run) {
        MaxT[] out = new MaxT[m.length];
        for (int c = 0; c < m.length; c++) out[c] = m[c][run];
        return out;
    }

    private static int[] maskVoxels(Path mask, Nifti1.Header h) {
        if (mask == null) return null;
        Nifti1.Header mh = Nifti1.readHeader(mask);
        if (mh.nx() != h.nx() || mh.ny() != h.ny() || mh.nz() != h.nz()) {
            throw new LlmriException(mask + ": mask grid " + mh.nx() + "x" + mh.ny() + "x" + mh.nz() + " differs from the data's "
                    + h.nx() + "x" + h.ny() + "x" + h.nz());
        }
        double[] v = Nifti1.readVolume(mask);
        int n = 0;
        for (double d : v) if (d != 0 && !Double.isNaN(d)) n++;
        if (n == 0) throw new LlmriException(mask + ": the mask is empty");
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < v.length; i++) if (v[i] != 0 && !Double.isNaN(v[i])) out[k++] = i;
        return out;
    }

    /** Writes one level's maps and thresholds. {@code maxT} is per contrast (entries null for F), or null. */
    static GlmOutputs.LevelOutput writeLevel(MapWriter w, String prefix, int run, Path designTsv, List<ContrastMaps> maps,
                                             List<Contrast> contrasts, MaxT[] maxT, boolean[] constant, GlmOptions opts) {
        List<GlmOutputs.ContrastOutput> out = new ArrayList<>();
        for (int i = 0; i < maps.size(); i++) {
            ContrastMaps m = maps.get(i);
            Contrast c = contrasts.get(i);
            var files = w.maps(m);
            List<GlmOutputs.CorrectionOutput> corr = new ArrayList<>();
            for (Correction k : opts.corrections()) {
                MaxT mt = k == Correction.FWE ? (maxT == null ? null : maxT[i]) : null;
                if (k == Correction.FWE && mt == null) continue;
                corr.add(w.significance(m, Significance.of(m, k, opts.alpha(), opts.tail(), mt, constant)));
            }
            out.add(new GlmOutputs.ContrastOutput(m.label(), c.expression(), m.isF(), m.dof(), files, corr));
        }
        return new GlmOutputs.LevelOutput(prefix, run, designTsv, out);
    }

    /** The BIDS prefix of a data file: its name without extension and without the trailing {@code _suffix}. */
    public static String bidsPrefix(Path data) {
        return org.llmri.dataset.BidsNames.prefixOf(data);
    }
}
