package org.llmri.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.dataset.UnitLayout;
import org.llmri.io.Nifti1;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;
import org.llmri.model.LoadedModel;
import org.llmri.model.opt.TinyModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.model.weights.Sha256;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.StorageDtype;
import org.llmri.paradigm.Study;
import org.llmri.dataset.Dataset;
import org.llmri.scan.Scanner;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NiftiExportTest {
    @TempDir static Path shared;
    static Path model, f32, f16;

    /** Two small scans of a tiny random model: 6 tasks x 1 run x 40 tokens, stored as f32 and as f16. */
    @BeforeAll
    static void scanTinyModel() {
        model = shared.resolve("tiny");
        TinyModel.write(model, 3);
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withModel(model.toString()).withRunsPerTask(1);
        s = s.withGeneration(s.generation().withMaxNewTokens(2));
        f32 = scan(s, shared.resolve("f32"));
        f16 = scan(s.withStorageDtype(StorageDtype.F16), shared.resolve("f16"));
    }

    static Path scan(Study study, Path out) {
        try (LoadedModel m = LoadedModel.open(model); TextTokenizer tok = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            String sha = Sha256.ofFiles(m.weights().files());
            new Scanner(m, tok, new Scanner.Subject(study.model(), null, null, sha), null).scan(study, out, false);
        }
        return out;
    }

    static NiftiExport.Result export(Path dataset, Path out, boolean gzip, String... runs) {
        return NiftiExport.export(dataset, new NiftiExport.Options(out, gzip, List.of(runs)), (what, done, total) -> {});
    }

    @Test
    void everyUnitsTimeSeriesIsItsColumnOfActivationsAndOtherVoxelsAreZero(@TempDir Path tmp) throws IOException {
        for (Path dataset : List.of(f32, f16)) {
            for (boolean gzip : new boolean[] {true, false}) {
                Path out = tmp.resolve(dataset.getFileName() + "-" + gzip);
                NiftiExport.Result r = export(dataset, out, gzip);
                UnitLayout layout = UnitLayout.forUnits(r.units(), dataset.resolve("units.tsv"));
                int n = layout.count();
                assertThat(n).isEqualTo(64 + 3 * (9 * 64 + 2 * 256) + 64);
                // tiny: fc1 is the widest tap (256); 12 tap kinds; embed + 3 layers + final LayerNorm
                assertThat(new int[] {r.geometry().nx(), r.geometry().ny(), r.geometry().nz()}).containsExactly(256, 12, 5);
                assertThat(r.runs()).hasSize(6);
                String ext = gzip ? ".nii.gz" : ".nii";
                for (NiftiExport.RunOutput run : r.runs()) {
                    String prefix = "sub-tiny_task-" + run.task() + "_run-" + run.run();
                    assertThat(run.bold()).isEqualTo(out.resolve("sub-tiny/func/" + prefix + "_bold" + ext));
                    Nifti1.Header h = Nifti1.readHeader(run.bold());
                    assertThat(h.dims()).containsExactly(256, 12, 5, 40);
                    assertThat(h.datatype()).isEqualTo(Nifti1.DT_FLOAT32);
                    assertThat(h.repetitionTime()).isEqualTo(1f);
                    assertThat(headerBytes(run.bold())[123]).as("xyzt_units: mm and seconds").isEqualTo((byte) (2 | 8));
                    Path npy = dataset.resolve("sub-tiny/func/" + prefix + "_activations.npy");
                    float[] act = Npy.readFloats(npy);
                    int voxels = (int) r.geometry().voxels();
                    double[] img = new double[40 * voxels];
                    try (Nifti1.TimeSeries ts = Nifti1.openTimeSeries(run.bold(), null, tmp)) {
                        ts.matrix().readColumns(0, voxels, img, voxels);
                    }
                    boolean[] isUnit = new boolean[voxels];
                    for (int v : layout.voxel()) isUnit[v] = true;
                    for (int t = 0; t < 40; t++) {
                        for (int u = 0; u < n; u++) {
                            if (img[t * voxels + layout.voxel()[u]] != act[t * n + u]) {
                                throw new AssertionError(run.bold() + ": t " + t + ", unit " + u + ": " + img[t * voxels + layout.voxel()[u]]
                                        + " != " + act[t * n + u]);
                            }
                        }
                        for (int v = 0; v < voxels; v++) if (!isUnit[v] && img[t * voxels + v] != 0) throw new AssertionError("voxel " + v + " not 0");
                    }
                    assertThat(Tsv.read(run.events()).rows()).isEqualTo(Tsv.read(dataset.resolve("sub-tiny/func/" + prefix + "_events.tsv")).rows());
                    JsonNode side = new ObjectMapper().readTree(run.sidecar().toFile());
                    assertThat(side.get("RepetitionTime").asInt()).isEqualTo(1);
                    assertThat(side.get("TimeUnit").asText()).contains("one token");
                    assertThat(side.get("TapKinds").get(0).asText()).isEqualTo("embed");
                    assertThat(side.get("TapKinds").get(11).asText()).isEqualTo("residual");
                    assertThat(run.sidecar().getParent().resolve(side.get("Mask").asText()).normalize()).isEqualTo(r.masks().get(0));
                }
                assertThat(r.masks()).containsExactly(out.resolve("sub-tiny_mask" + ext));
                double[] mask = Nifti1.readVolume(r.masks().get(0));
                assertThat(Nifti1.readHeader(r.masks().get(0)).datatype()).isEqualTo(Nifti1.DT_UINT8);
                assertThat(Stream.of(mask).flatMapToDouble(java.util.Arrays::stream).sum()).isEqualTo(n);
                for (int v : layout.voxel()) assertThat(mask[v]).isEqualTo(1);
                assertThat(out.resolve("dataset_description.json")).exists();
                try (Stream<Path> files = Files.walk(out)) {
                    assertThat(files.filter(p -> p.toString().endsWith(".partial"))).isEmpty();
                }
            }
        }
    }

    private static byte[] headerBytes(Path nifti) throws IOException {
        try (InputStream in = Nifti1.isGzip(nifti) ? new GZIPInputStream(Files.newInputStream(nifti)) : Files.newInputStream(nifti)) {
            return in.readNBytes(348);
        }
    }

    @Test
    void theSameDatasetExportsToIdenticalFiles(@TempDir Path tmp) throws IOException {
        export(f16, tmp.resolve("a"), true);
        export(f16, tmp.resolve("b"), true);
        List<Path> a;
        try (Stream<Path> files = Files.walk(tmp.resolve("a"))) {
            a = files.filter(Files::isRegularFile).sorted().toList();
        }
        assertThat(a).hasSize(2 + 6 * 3);
        for (Path f : a) assertThat(tmp.resolve("b").resolve(tmp.resolve("a").relativize(f))).hasSameBinaryContentAs(f);
    }

    @Test
    void runsCanBeChosenByRunOrByTask(@TempDir Path tmp) {
        NiftiExport.Result r = export(f32, tmp.resolve("one"), false, "task-pathology_run-1", "task-archeology");
        assertThat(r.runs()).extracting(NiftiExport.RunOutput::task).containsExactly("archeology", "pathology");
        assertThatThrownBy(() -> export(f32, tmp.resolve("bad"), false, "task-pathology_run-2"))
                .isInstanceOf(LlmriException.class).hasMessageContaining("no run matches task-pathology_run-2");
        assertThat(tmp.resolve("bad")).doesNotExist();
    }

    /** A copy of the f32 dataset that a test may break. */
    private static Path copy(Path tmp) throws IOException {
        Path dir = tmp.resolve("ds");
        try (Stream<Path> files = Files.walk(f32)) {
            for (Path p : files.toList()) {
                Path q = dir.resolve(f32.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        return dir;
    }

    @Test
    void badDatasetsFailWithOneLineNamingTheFileAndWriteNothing(@TempDir Path tmp) throws IOException {
        Path ds = copy(tmp);
        Path out = tmp.resolve("out");
        Path units = ds.resolve("units.tsv");
        Tsv.Table t = Tsv.read(units);

        Files.delete(units);
        assertThatThrownBy(() -> export(ds, out, true)).isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(units + ": no such file");

        int z = t.columnIndex("z");
        Tsv.write(units, t.header().subList(0, z), t.rows().stream().map(r -> r.subList(0, z)).toList());
        assertThatThrownBy(() -> export(ds, out, true)).isInstanceOf(LlmriException.class)
                .hasMessage(units + ": no 'z' column (a voxel layout needs x, y, z)");

        Tsv.write(units, t.header(), t.rows().subList(0, t.rows().size() - 1));
        Path act = ds.resolve("sub-tiny/func/sub-tiny_task-archeology_run-1_activations.npy");
        assertThatThrownBy(() -> export(ds, out, true)).isInstanceOf(LlmriException.class)
                .hasMessage(act + ": " + t.rows().size() + " units per time point, but " + units + " lists " + (t.rows().size() - 1));
        assertThat(out).doesNotExist();
    }
}
