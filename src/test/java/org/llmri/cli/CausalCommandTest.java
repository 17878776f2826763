package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Npy;

/** lesion and steer end to end on a tiny random model's reading study: outputs, the same seed's identical numbers, bad input. */
@Tag("slow")
class CausalCommandTest {
    @TempDir static Path dir;
    static Path study;

    @BeforeAll
    static void makeStudy() throws Exception {
        assertThat(Cli.run("model", "random", "--preset", "tiny", "--seed", "1", "--out", dir.resolve("tiny").toString()).code()).isZero();
        Path yaml = dir.resolve("s.yaml");
        assertThat(Cli.run("paradigm", "show", "fmri-read", "-o", yaml.toString()).code()).isZero();
        Files.writeString(yaml, Files.readString(yaml).replaceFirst("(?m)^model:.*$", "model: " + dir.resolve("tiny")).replace("runs_per_task: 3", "runs_per_task: 2"));
        study = dir.resolve("st");
        Cli r = Cli.run("study", yaml.toString(), "--out", study.toString(), "--permutations", "100");
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void lesionWritesItsTablesAndTheSameSeedGivesTheSameNumbers() throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        for (Path out : new Path[] {a, b}) {
            Cli r = Cli.run("lesion", study.toString(), "--network", "randomstrings", "--random-sets", "5", "--fractions", "0.5,1", "--seed", "4",
                    "--out", out.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("lesion of network randomstrings");
        }
        String t = Files.readString(a.resolve("lesion_randomstrings_zero.tsv"));
        assertThat(t).startsWith("network\tmode\tfraction\tunits\tdeficit_task").isEqualTo(Files.readString(b.resolve("lesion_randomstrings_zero.tsv")));
        assertThat(t.lines()).hasSize(3);
        assertThat(Files.readString(a.resolve("lesion_randomstrings_zero_sets.tsv")).lines()).hasSize(1 + 2 * 6);
        assertThat(t).doesNotContain("NaN\t0.", "Infinity");
    }

    @Test
    void allWritesTheMatrixAndSteerTheDoseResponse() throws Exception {
        Path o = dir.resolve("all");
        Cli r = Cli.run("lesion", study.toString(), "--all", "--random-sets", "3", "--out", o.toString(), "--mode", "mean");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("lesion-deficit matrix", "double dissociations");
        assertThat(Files.readString(o.resolve("lesion_matrix_mean.tsv"))).startsWith("network\tbank\tunits\tdeficit");
        assertThat(Files.readString(o.resolve("dissociations_mean.tsv"))).startsWith("task_a\ttask_b");
        Cli s = Cli.run("steer", study.toString(), "--network", "randomstrings", "--random-sets", "3", "--new-tokens", "4", "--out", o.toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(Files.readString(o.resolve("steer_randomstrings.tsv")).lines()).hasSize(6);
        assertThat(Files.readString(o.resolve("steer_randomstrings_examples.tsv")).lines()).hasSize(6);
        String html = Files.readString(o.resolve("causal.html"));
        assertThat(html).contains("Lesion-deficit matrix", "Double dissociations", "Dose-response: steer_randomstrings.tsv", "<svg", "Steering examples")
                .doesNotContain("NaN,");
        // the same section in the study's report.html, once, after both runs, saying what was run
        String report = Files.readString(study.resolve("report/report.html"));
        String section = report.substring(report.indexOf("<section id=\"causal\">"), report.indexOf("<section id=\"files\">"));
        assertThat(report.split("<section id=\"causal\">", -1)).hasSize(2);
        assertThat(report).contains("<a href=\"#causal\">Causal tests</a>");
        assertThat(section).contains("<h2>Causal tests</h2>", "Lesion-deficit matrix", "Dose-response: steer_randomstrings.tsv", "<svg", "Steering examples",
                "lesion-deficit matrix (mean ablation)", "3 random sets steered by the same norm", "alpha 0, 0.5, 1, 2, 4");
        assertThat(report.indexOf("</footer>")).isGreaterThan(report.indexOf("<section id=\"files\">"));
    }

    @Test
    void networkExportWritesBooleanMasksUnderHuggingFaceNames() throws Exception {
        Path f = dir.resolve("rs.safetensors");
        Cli r = Cli.run("network", "export", study.toString(), "--task", "randomstrings", "--out", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        byte[] b = Files.readAllBytes(f);
        long n = java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        var header = new com.fasterxml.jackson.databind.ObjectMapper().readTree(new String(b, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(header.get("__metadata__").get("llmri_task").asText()).isEqualTo("randomstrings");
        long end = 0;
        int tensors = 0;
        for (var it = header.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            tensors++;
            assertThat(e.getKey()).startsWith("model.decoder.");
            assertThat(e.getValue().get("dtype").asText()).isEqualTo("BOOL");
            long numel = 1;
            for (var d : e.getValue().get("shape")) numel *= d.asLong();
            long from = e.getValue().get("data_offsets").get(0).asLong(), to = e.getValue().get("data_offsets").get(1).asLong();
            assertThat(to - from).isEqualTo(numel);
            boolean any = false;
            for (long i = from; i < to; i++) any |= b[(int) (8 + n + i)] == 1;
            assertThat(any).as(e.getKey() + " marks something").isTrue();
            end = Math.max(end, to);
        }
        assertThat(tensors).isPositive();
        assertThat(8 + n + end).isEqualTo(b.length);
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Cli r = Cli.run("lesion", study.toString(), "--network", "nosuchtask");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("llmri: unknown task 'nosuchtask' (the study has: ").doesNotContain("\n");
        // an empty network: a copy of the study whose pathology mask is all zeros
        Path copy = dir.resolve("empty");
        copyTree(study, copy);
        try (var files = Files.walk(copy.resolve("glm"))) {
            for (Path m : files.filter(p -> p.getFileName().toString().contains("task-pathology") && p.toString().endsWith("desc-fwe_mask.npy")).toList()) {
                double[] zeros = new double[Npy.readDoubles(m).length];
                Files.delete(m);
                Npy.write(m, zeros, zeros.length);
            }
        }
        Files.writeString(copy.resolve("scan/study.yaml"), Files.readString(copy.resolve("scan/study.yaml")).replaceFirst("(?m)^model:.*$",
                "model: " + dir.resolve("tiny")));
        r = Cli.run("lesion", copy.toString(), "--network", "pathology");
        assertThat(r.err().strip()).isEqualTo("llmri: network pathology is empty at FWER 0.05; nothing to lesion");
        Path mask = dir.resolve("m.safetensors");
        r = Cli.run("network", "export", copy.toString(), "--task", "pathology", "--out", mask.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("llmri: network pathology is empty at FWER 0.05; nothing to export");
        r = Cli.run("network", "export", copy.toString(), "--task", "nosuchtask", "--out", mask.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("llmri: unknown task 'nosuchtask' (the study has: ").doesNotContain("\n");
        assertThat(mask).doesNotExist();
        // a study without a GLM
        Files.delete(copy.resolve("glm/glm_outputs.json"));
        r = Cli.run("lesion", copy.toString(), "--network", "pathology");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("llmri: " + copy + ": the study has no GLM (glm/glm_outputs.json is missing); run llmri study on it first");
        r = Cli.run("network", "export", copy.toString(), "--task", "pathology", "--out", mask.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("llmri: " + copy + ": the study has no GLM (glm/glm_outputs.json is missing); run llmri study on it first");
    }

    @Test
    void aStudyBeingWrittenIsRefusedAndAMissingOneIsNotCreated() throws Exception {
        // a study (or another causal run) holds the folder: lesion and steer would splice into a report being written
        try (org.llmri.io.FolderLock held = org.llmri.io.FolderLock.acquire(study, "study")) {
            for (String[] args : new String[][] {{"lesion", study.toString(), "--network", "randomstrings"},
                    {"steer", study.toString(), "--network", "randomstrings"}}) {
                Cli r = Cli.run(args);
                assertThat(r.code()).isEqualTo(2);
                assertThat(r.err().strip()).startsWith("llmri: " + study + ": in use by another llmri process").doesNotContain("\n");
            }
        }
        Path missing = dir.resolve("no-such-study");
        Cli r = Cli.run("lesion", missing.toString(), "--network", "randomstrings");
        assertThat(r.err().strip()).isEqualTo("llmri: " + missing + ": no such study folder");
        assertThat(missing).doesNotExist();
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
