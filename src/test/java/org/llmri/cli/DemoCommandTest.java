package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Tsv;

/**
 * The demo's second part (--random-opt) writes the report and every table, offline, and says what it
 * means. The default part (all-MiniLM-L6-v2 reading) runs the same pipeline on the built-in model; its
 * reading path is tested on a tiny BERT (BertReadingScanTest) and end to end in ReadingStudyPipelineTest.
 */
class DemoCommandTest {
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void theRandomOptDemoWritesTheReportAndEveryTableAndSaysRandomNetworksMeanNothing(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        int code = cl.execute("demo", "--random-opt", "--out", dir.toString(), "--permutations", "50");
        assertThat(code).isZero();
        assertThat(out.toString()).contains("random").contains("mean nothing").contains("facebook/galactica-125m");
        Path report = dir.resolve("report");
        assertThat(report.resolve("report.html")).isRegularFile();
        for (String t : new String[] {"overlap.tsv", "overlap_by_layer.tsv", "repeatability.tsv", "repeatability_summary.tsv",
                "decoding.tsv", "decoding_summary.tsv", "network_sizes.tsv", "samples.tsv", "study_summary.tsv"}) {
            assertThat(Tsv.read(report.resolve("tables").resolve(t)).header()).as(t).isNotEmpty();
        }
        // 6 tasks x 2 runs held out, and 2 on-blocks per run
        Tsv.Table dec = Tsv.read(report.resolve("tables/decoding_summary.tsv"));
        assertThat(dec.numbers("n")).contains(12.0, 24.0);
        assertThat(dec.numbers("chance")).containsOnly(1.0 / 6);
        assertThat(Files.readString(report.resolve("report.html"))).contains("randomstrings").contains("Methods");
        // a rerun reuses the finished scan and GLM
        long glmTime = Files.getLastModifiedTime(dir.resolve("glm/glm_outputs.json")).toMillis();
        assertThat(Main.commandLine().execute("demo", "--random-opt", "--out", dir.toString(), "--permutations", "50")).isZero();
        assertThat(Files.getLastModifiedTime(dir.resolve("glm/glm_outputs.json")).toMillis()).isEqualTo(glmTime);
    }
}
