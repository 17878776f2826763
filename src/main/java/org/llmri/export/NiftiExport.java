package org.llmri.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.Deflater;
import org.llmri.LlmriException;
import org.llmri.dataset.BidsNames;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.RunFile;
import org.llmri.dataset.Runs;
import org.llmri.dataset.UnitLayout;
import org.llmri.io.AtomicFile;
import org.llmri.io.Nifti1;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

/**
 * Exports a scan dataset as 4D NIfTI-1 images, one per run, for fMRI tools (nibabel, nilearn). Each voxel
 * is one unit at the x, y, z of {@code units.tsv} (x = unit within its tap, y = tap kind, z = 0 embeddings,
 * 1..L layers, L+1 the final LayerNorm); voxels where no unit sits are 0 and a uint8 mask marks the real
 * units. Time is the 4th axis, one volume per generated token: NIfTI has no token unit, so the header says
 * seconds with pixdim[4] = 1 and the sidecar's RepetitionTime is 1 (one "second" = one token).
 *
 * <p>Layout under {@code out}: {@code dataset_description.json}, {@code sub-<s>_mask.nii[.gz]} and
 * {@code sub-<s>/func/sub-<s>_task-<t>_run-<n>_bold.nii[.gz]} with its {@code _bold.json} sidecar and a copy
 * of the run's {@code _events.tsv} ("bold" is the BIDS suffix nilearn looks for).
 * Memory holds one volume and one row of activations at a time; every file is written atomically.
 */
public final class NiftiExport {
    private NiftiExport() {}

    /** Progress in time points written. */
    @FunctionalInterface
    public interface ProgressListener {
        void progress(String what, long done, long total);
    }

    /** Compression level of .nii.gz: level 1 is several times faster than the default 6 and barely larger (zeros dominate). */
    public static final int GZIP_LEVEL = Deflater.BEST_SPEED;

    /**
     * @param out    output folder
     * @param gzip   write .nii.gz rather than .nii
     * @param select runs to export, as {@code task-<t>_run-<n>} or {@code task-<t>} (all its runs); empty = all
     */
    public record Options(Path out, boolean gzip, List<String> select) {
        public Options {
            select = List.copyOf(select);
        }
    }

    /** One exported run. */
    public record RunOutput(String subject, String task, int run, int timePoints, Path bold, Path sidecar, Path events) {}

    /** What was written: the grid, the units, the masks (one per subject) and the runs. */
    public record Result(Path out, Nifti1.Geometry geometry, int units, List<Path> masks, List<RunOutput> runs) {}

    private record Planned(RunFile file, int timePoints) {
        String key() {
            return file.label();
        }
    }

    /** Exports the runs of {@code datasetDir} chosen by {@code opts}; progress counts time points. */
    public static Result export(Path datasetDir, Options opts, ProgressListener progress) {
        Path unitsTsv = datasetDir.resolve(Dataset.UNITS_FILE);
        if (!Files.isRegularFile(unitsTsv)) {
            throw new LlmriException(unitsTsv + ": no such file (a scan dataset's unit table, with x, y, z per unit)");
        }
        Tsv.Table units = Tsv.read(unitsTsv);
        UnitLayout layout = UnitLayout.ofTable(units);
        List<Planned> runs = plan(datasetDir, unitsTsv, layout.count(), opts.select());
        long total = runs.stream().mapToLong(Planned::timePoints).sum();

        String ext = opts.gzip() ? ".nii.gz" : ".nii";
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        writeDescription(opts.out().resolve("dataset_description.json"), json);
        Set<String> subjects = new TreeSet<>();
        for (Planned p : runs) subjects.add(p.file().subject());
        List<Path> masks = new ArrayList<>();
        for (String s : subjects) {
            Path mask = opts.out().resolve("sub-" + s + "_mask" + ext);
            Nifti1.writeUint8(mask, layout.geometry(), layout.maskVolume(null));
            masks.add(mask);
        }

        List<String> kinds = kindsByY(units, layout);
        List<RunOutput> outputs = new ArrayList<>();
        long done = 0;
        progress.progress("export", 0, total);
        for (Planned p : runs) {
            RunFile r = p.file();
            String prefix = r.prefix();
            Path func = opts.out().resolve("sub-" + r.subject()).resolve("func");
            Path bold = func.resolve(prefix + "_bold" + ext);
            long before = done;
            writeBold(r.data(), bold, layout, p.timePoints(), t -> progress.progress("export", before + t + 1, total));
            done += p.timePoints();
            Path events = func.resolve(prefix + "_events.tsv");
            AtomicFile.write(events, o -> Files.copy(r.events(), o));
            Path sidecar = func.resolve(prefix + "_bold.json");
            Path mask = func.relativize(opts.out().resolve("sub-" + r.subject() + "_mask" + ext));
            writeSidecar(sidecar, json, r, p.timePoints(), mask, layout.count(), kinds);
            outputs.add(new RunOutput(r.subject(), r.task(), r.run(), p.timePoints(), bold, sidecar, events));
        }
        return new Result(opts.out(), layout.geometry(), layout.count(), masks, outputs);
    }

    /** The selected runs, each checked (2D, one column per unit, a time axis NIfTI-1 can hold) before anything is written. */
    private static List<Planned> plan(Path datasetDir, Path unitsTsv, int units, List<String> select) {
        List<RunFile> all = Runs.complete(datasetDir);
        Runs.requireActivations(all, "export nifti");
        Set<String> unmatched = new LinkedHashSet<>(select);
        List<Planned> out = new ArrayList<>();
        for (RunFile r : all) {
            String run = r.label(), task = "task-" + r.task();
            if (!select.isEmpty() && !select.contains(run) && !select.contains(task)) continue;
            unmatched.remove(run);
            unmatched.remove(task);
            Npy.Header h = Npy.readHeader(r.data());
            long[] shape = h.shape();
            if (shape.length != 2) {
                throw new LlmriException(r.data() + ": expected a [time, unit] array, got " + shape.length + " dimensions");
            }
            if (shape[1] != units) {
                throw new LlmriException(r.data() + ": " + shape[1] + " units per time point, but " + unitsTsv + " lists " + units);
            }
            if (shape[0] < 1 || shape[0] > Short.MAX_VALUE) {
                throw new LlmriException(r.data() + ": " + shape[0] + " time points; a NIfTI-1 image holds 1.." + Short.MAX_VALUE);
            }
            out.add(new Planned(r, (int) shape[0]));
        }
        if (!unmatched.isEmpty()) {
            throw new LlmriException(datasetDir + ": no run matches " + String.join(", ", unmatched)
                    + " (runs are named task-<t>_run-<n>; a bare task-<t> selects all its runs)");
        }
        return out;
    }

    /** Streams one run: volume t holds row t of the activations at each unit's voxel, zeros elsewhere. */
    private static void writeBold(Path npy, Path bold, UnitLayout layout, int timePoints, java.util.function.IntConsumer step) {
        int[] voxel = layout.voxel();
        float[] row = new float[voxel.length];
        try (Npy.Mapped m = Npy.map(npy)) {
            Nifti1.writeFloat32Series(bold, layout.geometry(), timePoints, DESCRIP, GZIP_LEVEL, (t, volume) -> {
                m.copyTo((long) t * voxel.length, row, 0, voxel.length);
                for (int u = 0; u < voxel.length; u++) volume[voxel[u]] = row[u];
                step.accept(t);
            });
        }
    }

    static final String DESCRIP = "llmri activations; time unit: 1 token (stored as 1 s)";

    private static void writeSidecar(Path file, ObjectMapper json, RunFile r, int timePoints, Path mask,
                                     int units, List<String> kinds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("RepetitionTime", 1);
        m.put("TaskName", r.task());
        m.put("TimeUnit", "One volume per generated token. NIfTI-1 has no token unit, so the header says seconds"
                + " and RepetitionTime is 1: one second is one token. Event onsets and durations are in tokens too.");
        m.put("NumberOfVolumes", timePoints);
        m.put("Units", units);
        m.put("VoxelLayout", "x = unit index within its tap, y = tap kind (TapKinds[y]), z = layer"
                + " (0 embeddings, 1..L decoder layers, L+1 the final LayerNorm); voxels outside the mask are 0");
        if (kinds != null) m.put("TapKinds", kinds);
        m.put("Mask", mask.toString().replace('\\', '/'));
        m.put("Sources", List.of(r.data().getFileName().toString(), r.events().getFileName().toString()));
        write(file, json, m);
    }

    private static void writeDescription(Path file, ObjectMapper json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Name", "llmri scan as 4D NIfTI-1 (one voxel per unit, one volume per token)");
        m.put("BIDSVersion", "1.9.0");
        m.put("DatasetType", "derivative");
        Map<String, Object> by = new LinkedHashMap<>();
        by.put("Name", "llmri");
        by.put("Description", "llmri export nifti");
        m.put("GeneratedBy", List.of(by));
        write(file, json, m);
    }

    private static void write(Path file, ObjectMapper json, Map<String, Object> m) {
        AtomicFile.write(file, o -> {
            o.write(json.writeValueAsBytes(m));
            o.write('\n');
        });
    }

    /** The tap kind at each y, from units.tsv's kind column (null when it has none or a y holds two kinds). */
    private static List<String> kindsByY(Tsv.Table units, UnitLayout layout) {
        if (!units.hasColumn("kind")) return null;
        String[] byY = new String[layout.geometry().ny()];
        List<String> kind = units.column("kind");
        int nx = layout.geometry().nx(), ny = layout.geometry().ny();
        for (int u = 0; u < layout.count(); u++) {
            int y = (layout.voxel()[u] / nx) % ny;
            if (byY[y] != null && !byY[y].equals(kind.get(u))) return null;
            byY[y] = kind.get(u);
        }
        List<String> out = new ArrayList<>(byY.length);
        for (String k : byY) out.add(k == null ? "n/a" : k);
        return out;
    }
}
