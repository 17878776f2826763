package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.PromptBank;
import org.llmri.paradigm.Study;

class ParadigmCommandTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void listShowsTheParadigmAndTheBanksWithTheirSizes() {
        Result r = run("paradigm", "list");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("galactica-fmri").containsPattern("control\\s+240 prompts, 48 topics")
                .containsPattern("politicalscience\\s+50 prompts");
    }

    @Test
    void showPrintsTheBuiltInAsYamlThatLoadsBackEqual() throws IOException {
        Result r = run("paradigm", "show", "galactica-fmri");
        assertThat(r.code()).isZero();
        Path f = Files.writeString(dir.resolve("study.yaml"), r.out());
        assertThat(Study.load(f)).isEqualTo(Paradigms.builtin("galactica-fmri"));
        assertThat(run("paradigm", "show").out()).isEqualTo(r.out()); // the default argument
    }

    @Test
    void showWritesToAFileAtomicallyAndChecksAStudyFile() throws IOException {
        Path out = dir.resolve("out/study.yaml");
        assertThat(run("paradigm", "show", "-o", out.toString()).code()).isZero();
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("study.yaml");
        }
        Files.writeString(out, Files.readString(out).replace("runs_per_task: 2", "runs_per_task: 3"));
        Result r = run("paradigm", "show", out.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("runs_per_task: 3");
    }

    @Test
    void showPlanPrintsEveryPromptOfEveryRunAsTsv() {
        Result r = run("paradigm", "show", "--plan");
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.getFirst()).isEqualTo("task\trun\tindex\tblock\tcondition\tonset\tduration\tprompt_id\ttext");
        assertThat(lines).hasSize(1 + 18 * 20);
        assertThat(lines.subList(1, lines.size())).allSatisfy(l -> assertThat(l.split("\t", -1)).hasSize(9));
        assertThat(lines.get(5)).startsWith("politicalscience\t1\t4\t2\ton\t128\t32\tpoliticalscience-");
        assertThat(r.err()).contains("18 runs, 640 time points per run, 11520 in all");
    }

    @Test
    void aBrokenStudyIsOneLineWithFileLineAndFieldAndExitCode2() throws IOException {
        Path f = Files.writeString(dir.resolve("broken.yaml"), "name: x\ndesign:\n  prompts_per_block: -4\n");
        Result r = run("paradigm", "show", f.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("llmri: " + f + ":3: design.prompts_per_block must be a positive integer up to 100000 (got -4)");
        assertThat(r.out()).isEmpty();
        Result missing = run("paradigm", "show", "no-such-paradigm");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("no-such-paradigm").contains("galactica-fmri").doesNotContain("Exception");
    }

    @Test
    void bankPrintsABuiltInBankAsAnEditableFile() throws IOException {
        Result r = run("paradigm", "bank", "builtin:control");
        assertThat(r.code()).isZero();
        Path f = Files.writeString(dir.resolve("control.txt"), r.out());
        assertThat(PromptBank.read(f, "control.txt", "control")).isEqualTo(
                new PromptBank("control.txt", PromptBank.builtin("control", "control").prompts()));
        assertThat(run("paradigm", "bank", "nosuch").code()).isEqualTo(2);
    }
}
