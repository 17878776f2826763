package org.llmri.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.io.FolderLock;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

class DatasetLayoutTest {
    @TempDir Path dir;

    private void run(Dataset ds, String task, int run, boolean complete) throws IOException {
        Npy.write(ds.activations(task, run), new float[8], 4, 2);
        if (!complete) return;
        Tsv.write(ds.events(task, run), List.of("onset", "duration", "trial_type"), List.of(List.of(0, 4, "task")));
        Files.writeString(ds.sidecar(task, run), "{}");
    }

    @Test
    void namesFollowBids() {
        Dataset ds = new Dataset(dir, "tiny");
        assertThat(ds.activations("pathology", 2).getFileName().toString()).isEqualTo("sub-tiny_task-pathology_run-2_activations.npy");
        assertThat(BidsNames.parseActivations("sub-tiny_task-pathology_run-2_activations.npy"))
                .contains(new BidsNames.RunName("tiny", "pathology", 2));
        assertThat(BidsNames.parseActivations("sub-tiny_task-pathology_run-2_activations.npy.partial")).isEmpty();
        assertThat(BidsNames.prefixOf(Path.of("sub-a_task-b_run-1_bold.nii.gz"))).isEqualTo("sub-a_task-b_run-1");
        assertThat(Dataset.subjectFor("facebook/galactica-125m@main")).isEqualTo("galactica125m");
    }

    @Test
    void aScanWithAPlanIsCompleteOnlyWhenEveryPlannedRunAndTheDescriptionAreThere() throws IOException {
        Dataset ds = new Dataset(dir, "tiny");
        Tsv.write(ds.plan(), Runs.PLAN_COLUMNS, List.of(List.of("tiny", "a", 1, 4), List.of("tiny", "a", 2, 4), List.of("tiny", "b", 1, 4)));
        run(ds, "a", 1, true);
        run(ds, "a", 2, false); // killed while writing: activations renamed, no events or sidecar yet
        assertThat(Runs.status(dir)).isEqualTo(new Runs.Status(1, 3, false));
        assertThatThrownBy(() -> Runs.complete(dir)).isInstanceOf(LlmriException.class)
                .hasMessage(dir + ": scan incomplete: 1 of 3 runs; finish it with llmri scan --resume " + dir);
        run(ds, "a", 2, true);
        run(ds, "b", 1, true);
        assertThatThrownBy(() -> Runs.complete(dir)).hasMessageContaining("scan incomplete: 3 of 3 runs");
        Files.writeString(ds.description(), "{}");
        assertThat(Runs.complete(dir)).extracting(RunFile::label).containsExactly("task-a_run-1", "task-a_run-2", "task-b_run-1");
    }

    @Test
    void runsLeftByAnotherModelsScanAreNeverRead() throws IOException {
        Dataset old = new Dataset(dir, "modela"), now = new Dataset(dir, "modelb");
        run(old, "a", 1, true); // a killed scan of another model, then a new scan into the same folder
        Tsv.write(now.plan(), Runs.PLAN_COLUMNS, List.of(List.of("modelb", "a", 1, 4)));
        assertThat(Runs.status(dir)).isEqualTo(new Runs.Status(0, 1, false));
        run(now, "a", 1, true);
        Files.writeString(now.description(), "{}");
        assertThat(Runs.complete(dir)).extracting(RunFile::subject).containsExactly("modelb");
    }

    @Test
    void aFolderBeingWrittenIsRefusedNamingTheWriter() throws IOException {
        Dataset ds = new Dataset(dir, "tiny");
        run(ds, "a", 1, true);
        try (FolderLock lock = FolderLock.acquire(dir, "scan")) {
            assertThat(FolderLock.holder(dir)).contains(ProcessHandle.current().pid());
            assertThatThrownBy(() -> Runs.complete(dir)).hasMessageContaining("a scan is writing it now (pid " + ProcessHandle.current().pid());
            assertThatThrownBy(() -> FolderLock.acquire(dir, "glm")).hasMessageContaining("in use by another llmri process");
        }
        assertThat(FolderLock.holder(dir)).isEmpty();
        assertThat(Runs.complete(dir)).hasSize(1); // a foreign BIDS-style folder: every run with its events
    }

    @Test
    void aModelFolderIsRecordedRelativeToTheDatasetAndFoundFromAnywhere() throws IOException {
        Path model = Files.createDirectories(dir.resolve("models").resolve("tiny"));
        Path ds = dir.resolve("studies").resolve("one").resolve("scan");
        Path cwd = Path.of("").toAbsolutePath();
        String relativeToCwd = cwd.relativize(model).toString();
        String recorded = ModelPath.record(relativeToCwd, ds);
        assertThat(recorded).isEqualTo("../../../models/tiny");
        assertThat(Path.of(ModelPath.resolve(recorded, ds))).isEqualTo(model);
        assertThat(ModelPath.record(model.toString(), ds)).isEqualTo(model.toString()); // absolute stays absolute
        assertThat(ModelPath.record("facebook/galactica-125m", ds)).isEqualTo("facebook/galactica-125m");
        assertThat(ModelPath.resolve("facebook/galactica-125m", ds)).isEqualTo("facebook/galactica-125m");
        Files.delete(model);
        assertThatThrownBy(() -> ModelPath.resolve(recorded, ds)).hasMessageContaining("is not found").hasMessageContaining("give --model DIR");
    }
}
