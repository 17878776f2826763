package org.llmri.glm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llmri.dataset.UnitLayout;
import org.llmri.io.Nifti1;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

/**
 * Writes one level's maps, named as nilearn's save_glm_to_bids names them:
 * {@code <prefix>_contrast-<label>_stat-<effect|variance|t|F|z|p>_statmap.npy} (float64) and {@code .nii.gz}
 * (float32); thresholded maps {@code ..._stat-z_desc-<correction>_statmap}, masks
 * {@code ..._stat-z_desc-<correction>_mask.npy} (int32 0/1; NIfTI uint8), corrected p maps
 * ({@code stat-p_desc-fwe}, {@code stat-q_desc-fdr}, {@code stat-p_desc-bonferroni}; .npy only) and tables
 * of surviving units {@code <prefix>_contrast-<label>_desc-<correction>_units.tsv}.
 */
final class MapWriter {
    private final Path dir;
    private final String prefix;
    private final UnitLayout layout;
    private final boolean nifti;

    MapWriter(Path dir, String prefix, UnitLayout layout, boolean nifti) {
        this.dir = dir;
        this.prefix = prefix;
        this.layout = layout;
        this.nifti = nifti;
    }

    Path design(DesignMatrix d) {
        Path tsv = dir.resolve(prefix + "_design.tsv");
        d.writeTsv(tsv);
        d.writePng(dir.resolve(prefix + "_design.png"));
        return tsv;
    }

    private String base(String label) {
        return prefix + "_contrast-" + label;
    }

    Map<String, Path> maps(ContrastMaps m) {
        Map<String, Path> out = new LinkedHashMap<>();
        int n = m.units(), q = m.effect().length / n;
        out.put("effect", map(base(m.label()) + "_stat-effect_statmap", m.effect(), q));
        out.put("variance", map(base(m.label()) + "_stat-variance_statmap", m.variance(), q));
        String stat = m.isF() ? "F" : "t";
        out.put(stat, map(base(m.label()) + "_stat-" + stat + "_statmap", m.stat(), 1));
        out.put("z", map(base(m.label()) + "_stat-z_statmap", m.z(), 1));
        out.put("p", map(base(m.label()) + "_stat-p_statmap", m.p(), 1));
        return out;
    }

    /** Writes {@code rows} maps of units values as [rows, units] (or [units]) .npy and a NIfTI with rows volumes. */
    private Path map(String name, double[] values, int rows) {
        int n = layout.count();
        Path npy = dir.resolve(name + ".npy");
        if (rows == 1) Npy.write(npy, values, n);
        else Npy.write(npy, values, rows, n);
        if (nifti) {
            float[] all = new float[(int) layout.geometry().voxels() * rows];
            for (int r = 0; r < rows; r++) {
                float[] vol = layout.toVolume(values, r * n);
                System.arraycopy(vol, 0, all, r * vol.length, vol.length);
            }
            Nifti1.writeFloat32(dir.resolve(name + ".nii.gz"), layout.geometry(), rows, all);
        }
        return npy;
    }

    GlmOutputs.CorrectionOutput significance(ContrastMaps m, Significance s) {
        String corr = s.correction().label();
        int n = m.units();
        double[] zt = new double[n];
        int[] maskInt = new int[n];
        for (int u = 0; u < n; u++) {
            if (s.mask()[u]) {
                zt[u] = m.z()[u];
                maskInt[u] = 1;
            }
        }
        Path thr = map(base(m.label()) + "_stat-z_desc-" + corr + "_statmap", zt, 1);
        Path mask = dir.resolve(base(m.label()) + "_stat-z_desc-" + corr + "_mask.npy");
        Npy.write(mask, maskInt, n);
        if (nifti) Nifti1.writeUint8(dir.resolve(base(m.label()) + "_stat-z_desc-" + corr + "_mask.nii.gz"), layout.geometry(), layout.maskVolume(s.mask()));
        Path adjusted = switch (s.correction()) {
            case FWE -> dir.resolve(base(m.label()) + "_stat-p_desc-fwe_statmap.npy");
            case FDR -> dir.resolve(base(m.label()) + "_stat-q_desc-fdr_statmap.npy");
            case BONFERRONI -> dir.resolve(base(m.label()) + "_stat-p_desc-bonferroni_statmap.npy");
            case NONE -> null;
        };
        if (adjusted != null) Npy.write(adjusted, s.adjusted(), n);
        Path table = dir.resolve(base(m.label()) + "_desc-" + corr + "_units.tsv");
        writeTable(table, m, s);
        return new GlmOutputs.CorrectionOutput(s.correction(), s.alpha(), s.tail(), s.threshold(), s.count(), mask, thr, adjusted, table);
    }

    /** Surviving units, by |z| descending (ties by unit): unit, tap, layer, index, stat, z, p, p_corrected. */
    private void writeTable(Path file, ContrastMaps m, Significance s) {
        List<Integer> units = new ArrayList<>();
        for (int u = 0; u < m.units(); u++) if (s.mask()[u]) units.add(u);
        units.sort(Comparator.<Integer>comparingDouble(u -> -Math.abs(m.z()[u])).thenComparingInt(u -> u));
        double[] pTail = m.pFor(s.tail());
        List<List<Object>> rows = new ArrayList<>(units.size());
        for (int u : units) {
            List<Object> r = new ArrayList<>(8);
            r.add(u);
            r.addAll(layout.describe(u));
            r.add(m.stat()[u]);
            r.add(m.z()[u]);
            r.add(pTail[u]);
            r.add(s.adjusted()[u]);
            rows.add(r);
        }
        String stat = m.isF() ? "F" : "t";
        String corrected = s.correction() == Correction.FDR ? "q" : "p_" + s.correction().label();
        Tsv.write(file, List.of("unit", "tap", "layer", "index", stat, "z", "p", corrected), rows);
    }
}
