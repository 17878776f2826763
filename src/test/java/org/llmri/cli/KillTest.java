package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.dataset.Dataset;
import org.llmri.io.FolderLock;
import org.llmri.model.opt.TinyModel;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;

/**
 * Faults across processes: a second writer while another llmri holds the folder, kill -9 in the middle of a
 * scan and of a study's GLM, a resume from another working directory, and the child's log when stderr is a
 * file. Each child is a real JVM running the CLI, killed with SIGKILL.
 */
@Tag("slow")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class KillTest {
    @TempDir Path work;

    /** The tiny model in work/tiny and a study naming it by the relative path "tiny". */
    private Path setUp(int newTokens) throws IOException {
        Path model = work.resolve("tiny");
        TinyModel.write(model, 7);
        Study s = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withRunsPerTask(2).withModel("tiny");
        s = s.withGeneration(s.generation().withMaxNewTokens(newTokens));
        Path yaml = work.resolve("study.yaml");
        Files.writeString(yaml, s.toYaml());
        return yaml;
    }

    private Process child(Path log, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "org.llmri.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().put("LLMRI_THREADS", "1");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    private static void await(Process p, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && !condition.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(2);
        assertThat(condition.getAsBoolean()).as("the child reached the point to kill it at").isTrue();
    }

    static long count(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
        } catch (IOException e) {
            return 0;
        }
    }

    static String read(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void aSecondWriterIsRefusedByNameAndAKilledScanLeavesNoStaleLockAndResumesFromAnywhere() throws Exception {
        Path yaml = setUp(32);
        Path ds = work.resolve("ds");
        Path func = ds.resolve("sub-tiny").resolve("func");
        Path log = work.resolve("scan.log");
        Process scan = child(log, "scan", "study.yaml", "--out", "ds");
        String pid = Long.toString(scan.pid());
        await(scan, () -> read(ds.resolve(FolderLock.FILE)).startsWith(pid + " ") && count(func, "_activations.json") >= 2
                && count(func, ".npy.partial") > 0);

        Cli second = Cli.run("scan", yaml.toString(), "--out", ds.toString());
        FaultInjectionTest.assertOneLine(second, ds + ": in use by another llmri process (pid " + pid + ")");
        FaultInjectionTest.assertOneLine(Cli.run("glm", "--dataset", ds.toString()), "a scan is writing it now (pid " + pid + ")");

        scan.destroyForcibly().waitFor();
        assertThat(ds.resolve(Dataset.DESCRIPTION_FILE)).doesNotExist();
        // a run's events appear with its sidecar, never before
        assertThat(count(func, "_events.tsv")).isEqualTo(count(func, "_activations.json"));
        long complete = count(func, "_activations.json");
        FaultInjectionTest.assertOneLine(Cli.run("glm", "--dataset", ds.toString()),
                "scan incomplete: " + complete + " of 12 runs; finish it with llmri scan --resume " + ds);
        assertThat(ds.resolve("glm")).doesNotExist();

        // the model was given relative to the child's directory; this process runs elsewhere
        assertThat(Study.load(ds.resolve(Dataset.STUDY_FILE)).model()).isEqualTo("../tiny");
        Cli resumed = Cli.run("scan", "--resume", ds.toString());
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(count(func, "_activations.json")).isEqualTo(12);
        Cli glm = Cli.run("glm", "--dataset", ds.toString(), "--permutations", "20");
        assertThat(glm.code()).as(glm.err()).isZero();

        // stderr was a file: plain lines, no carriage returns or colour codes
        String text = Files.readString(log);
        assertThat(text).contains("scan").doesNotContain("\r").doesNotContain("\u001b");
    }

    @Test
    void aStudyKilledInItsGlmLeavesNoRecordOrReportAndARerunFinishesIt() throws Exception {
        setUp(4);
        Path st = work.resolve("st");
        Process study = child(work.resolve("study.log"), "study", "study.yaml", "--out", "st", "--permutations", "3000");
        await(study, () -> Files.exists(st.resolve("glm").resolve(FolderLock.FILE)));
        study.destroyForcibly().waitFor();
        assertThat(st.resolve("scan").resolve(Dataset.DESCRIPTION_FILE)).exists();
        assertThat(st.resolve("glm").resolve("glm_outputs.json")).doesNotExist();
        assertThat(st.resolve("report").resolve("report.html")).doesNotExist();

        // this process runs elsewhere, so it names the model folder by its absolute path; the weights decide sameness
        Cli again = Cli.run("study", work.resolve("study.yaml").toString(), "--model", work.resolve("tiny").toString(), "--out", st.toString(),
                "--permutations", "3000");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(st.resolve("glm").resolve("glm_outputs.json")).exists();
        assertThat(st.resolve("report").resolve("report.html")).exists();
    }

    @Test
    void llmriThreadsMustBeAPositiveInteger() throws Exception {
        setUp(4);
        for (String bad : new String[] {"0", "-2", "two"}) {
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                    "org.llmri.cli.Main", "generate", "--model", "tiny", "--prompt", "a", "--max-new-tokens", "1").directory(work.toFile());
            pb.environment().put("LLMRI_THREADS", bad);
            Path log = work.resolve("threads.log");
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            int code = pb.start().waitFor();
            String text = Files.readString(log);
            assertThat(code).as(text).isEqualTo(2);
            assertThat(text.strip()).endsWith("LLMRI_THREADS must be a positive integer, got '" + bad + "'");
        }
    }
}
